package billing

// SetBeforeRecord sets the hook that runs after a period's invoice is inserted and
// before the period is recorded (an error stands for a crash there).
func (s *Service) SetBeforeRecord(f func() error) { s.beforeRecord = f }
