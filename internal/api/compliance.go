package api

// complianceRoutes are the endpoints of the content compliance check.
func (s *Server) complianceRoutes() []Route { return nil }
