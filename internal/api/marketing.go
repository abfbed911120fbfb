package api

// marketingRoutes are the endpoints of attribution, channel ROI,
// influencers and experiments.
func (s *Server) marketingRoutes() []Route {
	return nil
}
