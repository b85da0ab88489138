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

func Reorg(ctx context.Context, dir string, n int, seed uint64, log *slog.Logger) (string, error) {
	return "", errors.New("todo")
}
func Load(ctx context.Context, dir string, cfg LoadConfig, log *slog.Logger) (string, error) {
	return "", errors.New("todo")
}
func BadInput(ctx context.Context, dir string, execs int, log *slog.Logger) (string, error) {
	return "", errors.New("todo")
}
