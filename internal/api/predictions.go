package api

// predictionRoutes are the endpoints of customer predictions: lifetime
// value, churn risk and the model reports.
func (s *Server) predictionRoutes() []Route {
	return nil
}
