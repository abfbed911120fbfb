package api

// actionRoutes are the endpoints of journeys and their actions.
func (s *Server) actionRoutes() []Route { return nil }
