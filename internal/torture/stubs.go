package torture

import (
	"context"
	"errors"
	"log/slog"
)


func BadInput(ctx context.Context, dir string, execs int, log *slog.Logger) (string, error) {
	return "", errors.New("todo")
}
