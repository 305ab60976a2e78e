package main

import (
	"context"
	"errors"
)

func cmdServe(ctx context.Context, e *env, args []string) error {
	return errors.New("the server is not built yet")
}

func cmdDemo(ctx context.Context, e *env, args []string) error {
	return errors.New("the demo is not built yet")
}
