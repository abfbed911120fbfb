package app

import "context"

// openActions sets up the journey engine.
func (a *App) openActions(ctx context.Context) error { return nil }

// startActions starts the journey engine's loops.
func (a *App) startActions(ctx context.Context) {}

// closeActions stops the journey engine.
func (a *App) closeActions() error { return nil }
