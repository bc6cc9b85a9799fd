package main

import (
	"context"
	"log/slog"
)

// lazyHandler defers the attributes given to Logger.With until a record is
// actually written. FerretDB calls Logger.With with every SQL statement and
// its arguments (whole documents) before each debug log call; slog's built-in
// handlers format those attributes eagerly, which cost about a fifth of the
// server's CPU on inserts although debug records are never written.
type lazyHandler struct {
	inner slog.Handler
	steps []step
}

// step is one deferred With (attrs) or WithGroup (group) call, in order.
type step struct {
	attrs []slog.Attr
	group string
}

func (h *lazyHandler) Enabled(ctx context.Context, level slog.Level) bool {
	return h.inner.Enabled(ctx, level)
}

func (h *lazyHandler) Handle(ctx context.Context, r slog.Record) error {
	out := h.inner
	for _, s := range h.steps {
		if s.group != "" {
			out = out.WithGroup(s.group)
		} else {
			out = out.WithAttrs(s.attrs)
		}
	}
	return out.Handle(ctx, r)
}

func (h *lazyHandler) with(s step) *lazyHandler {
	steps := make([]step, len(h.steps), len(h.steps)+1)
	copy(steps, h.steps)
	return &lazyHandler{inner: h.inner, steps: append(steps, s)}
}

func (h *lazyHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	if len(attrs) == 0 {
		return h
	}
	return h.with(step{attrs: attrs})
}

func (h *lazyHandler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	return h.with(step{group: name})
}
