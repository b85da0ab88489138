package torture

import (
	"context"
	"errors"
	"log/slog"
	"time"
)

type LoadConfig struct {
	Duration time.Duration
	Clients  int
}

func Load(ctx context.Context, dir string, cfg LoadConfig, log *slog.Logger) (string, error) {
	return "", errors.New("todo")
}
func BadInput(ctx context.Context, dir string, execs int, log *slog.Logger) (string, error) {
	return "", errors.New("todo")
}
