package api

// AudienceService exports segments as ad-platform customer lists.
type AudienceService interface{}

// audienceRoutes are the endpoints of audience exports and syncs.
func (s *Server) audienceRoutes() []Route { return nil }
