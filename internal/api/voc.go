package api

// vocRoutes are the endpoints of the voice of the customer: review
// sentiment, topics, brand health and alerts.
func (s *Server) vocRoutes() []Route {
	return nil
}
