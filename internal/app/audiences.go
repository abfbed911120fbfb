package app

import (
	"context"

	"github.com/tradewind/tradewind/internal/api"
)

// audiences is the audience export service for the API.
func (a *App) audiences() api.AudienceService { return nil }

// startAudiences starts scheduled audience syncs.
func (a *App) startAudiences(ctx context.Context) {}
