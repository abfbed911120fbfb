package api

// qualityRoutes are the endpoints of the sources and data-quality page:
// ingest rates per source and the quarantine.
func (s *Server) qualityRoutes() []Route {
	return nil
}
