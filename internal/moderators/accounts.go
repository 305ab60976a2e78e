package moderators

import (
	"time"

	"context"

	safeguard "github.com/safeguard-dev/safeguard"
)

// Added is a new moderator and, when none was given, the password generated
// for them — shown once, never stored in clear.
type Added struct {
	Moderator *safeguard.Moderator
	Generated string
}

// Add creates a moderator with a role. An empty password generates one,
// returned in Added.Generated. by is who adds them: Operator, or an admin's
// name.
func (s *Service) Add(ctx context.Context, by, name string, role safeguard.ModeratorRole, password string) (*Added, error) {
	if err := validName(name); err != nil {
		return nil, err
	}
	if !role.Valid() {
		return nil, safeguard.Invalid("invalid_role", "Choose a role: moderator, senior or admin.")
	}
	out := &Added{}
	if password == "" {
		password = GeneratePassword()
		out.Generated = password
	}
	if err := validPassword(password, name); err != nil {
		return nil, err
	}
	hash, err := s.cfg.Passwords.Hash(ctx, s.cfg.Argon2, password)
	if err != nil {
		return nil, err
	}
	now := s.clock()
	if by == "" {
		by = Operator
	}
	m := &safeguard.Moderator{Name: name, Role: role, CreatedAt: now, CreatedBy: by}
	err = updateTx(ctx, s.store, func(tx Tx) error {
		if err := tx.CreateModerator(ctx, m, hash); err != nil {
			return err
		}
		return audit(ctx, tx, now, by, "moderator.add", m, "", map[string]any{"role": role})
	})
	if err != nil {
		return nil, err
	}
	out.Moderator = m
	return out, nil
}

// List returns every moderator, by name.
func (s *Service) List(ctx context.Context) ([]*safeguard.Moderator, error) {
	var out []*safeguard.Moderator
	err := viewTx(ctx, s.store, func(tx Tx) (err error) { out, err = tx.Moderators(ctx); return })
	return out, err
}

// Get returns a moderator by ID.
func (s *Service) Get(ctx context.Context, id int64) (*safeguard.Moderator, error) {
	var m *safeguard.Moderator
	err := viewTx(ctx, s.store, func(tx Tx) (err error) { m, err = tx.Moderator(ctx, id); return })
	return m, err
}

// change loads the moderator called name, lets fn change it, writes it
// back and audits the action.
func (s *Service) change(ctx context.Context, by, name, action string, fn func(tx Tx, m *safeguard.Moderator) (map[string]any, error)) (*safeguard.Moderator, error) {
	var m *safeguard.Moderator
	now := s.clock()
	err := updateTx(ctx, s.store, func(tx Tx) error {
		var err error
		if m, err = tx.ModeratorByName(ctx, name); err != nil {
			return safeguard.Errorf(safeguard.ErrNotFound, "no_such_moderator", "There is no moderator called %q.", name)
		}
		detail, err := fn(tx, m)
		if err != nil {
			return err
		}
		if err := tx.UpdateModerator(ctx, m); err != nil {
			return err
		}
		return audit(ctx, tx, now, by, action, m, "", detail)
	})
	return m, err
}

// Disable stops a moderator logging in and ends their sessions at once.
// An admin cannot disable themselves (so that there is always someone left
// to undo it).
func (s *Service) Disable(ctx context.Context, by, name string) (*safeguard.Moderator, error) {
	return s.change(ctx, by, name, "moderator.disable", func(tx Tx, m *safeguard.Moderator) (map[string]any, error) {
		if by != Operator && sqlName(by) == sqlName(m.Name) {
			return nil, safeguard.Errorf(safeguard.ErrConflict, "cannot_disable_self", "You cannot disable yourself.")
		}
		if !m.Disabled {
			m.Disabled, m.DisabledAt = true, s.clock()
		}
		return nil, tx.DeleteModeratorSessions(ctx, m.ID)
	})
}

// Enable lets a disabled moderator log in again.
func (s *Service) Enable(ctx context.Context, by, name string) (*safeguard.Moderator, error) {
	return s.change(ctx, by, name, "moderator.enable", func(tx Tx, m *safeguard.Moderator) (map[string]any, error) {
		m.Disabled, m.DisabledAt = false, time.Time{}
		return nil, nil
	})
}

// SetRole changes a moderator's role; it applies from their next request.
// An admin cannot lower their own role.
func (s *Service) SetRole(ctx context.Context, by, name string, role safeguard.ModeratorRole) (*safeguard.Moderator, error) {
	if !role.Valid() {
		return nil, safeguard.Invalid("invalid_role", "Choose a role: moderator, senior or admin.")
	}
	return s.change(ctx, by, name, "moderator.role", func(tx Tx, m *safeguard.Moderator) (map[string]any, error) {
		if by != Operator && sqlName(by) == sqlName(m.Name) && role != m.Role {
			return nil, safeguard.Errorf(safeguard.ErrConflict, "cannot_change_own_role", "You cannot change your own role.")
		}
		from := m.Role
		m.Role = role
		return map[string]any{"from": from, "to": role}, nil
	})
}

// SetPassword sets a moderator's password (an empty one generates a new
// password, returned) and ends their sessions.
func (s *Service) SetPassword(ctx context.Context, by, name, password string) (generated string, err error) {
	if password == "" {
		password = GeneratePassword()
		generated = password
	}
	if err := validPassword(password, name); err != nil {
		return "", err
	}
	hash, err := s.cfg.Passwords.Hash(ctx, s.cfg.Argon2, password)
	if err != nil {
		return "", err
	}
	_, err = s.change(ctx, by, name, "moderator.password", func(tx Tx, m *safeguard.Moderator) (map[string]any, error) {
		if err := tx.SetModeratorPassword(ctx, m.ID, hash); err != nil {
			return nil, err
		}
		return nil, tx.DeleteModeratorSessions(ctx, m.ID)
	})
	if err != nil {
		return "", err
	}
	return generated, nil
}
