package console

import (
	"net/http"
	"strings"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/internal/moderators"
)

type moderatorsData struct {
	Moderators []*safeguard.Moderator
	Roles      []safeguard.ModeratorRole
	Matrix     []matrixRow
	// Added is a moderator just added with a generated password, shown
	// once on this response and never again.
	Added     *safeguard.Moderator
	Generated string
	Form      struct{ Name, Role string }
}

type matrixRow struct {
	Words                    string
	Moderator, Senior, Admin bool
}

func matrix() []matrixRow {
	var out []matrixRow
	for _, g := range moderators.Matrix {
		out = append(out, matrixRow{Words: g.Words, Moderator: moderators.Can(safeguard.RoleModerator, g.Permission),
			Senior: moderators.Can(safeguard.RoleSenior, g.Permission), Admin: moderators.Can(safeguard.RoleAdmin, g.Permission)})
	}
	return out
}

func (h *handler) moderatorsPage(w http.ResponseWriter, r *http.Request, rq *request) {
	notice := map[string]string{
		"disable": "The moderator is disabled and their sessions have ended.",
		"enable":  "The moderator can log in again.",
		"role":    "The role is changed; it applies from their next page.",
	}[r.URL.Query().Get("done")]
	h.showModerators(w, r, rq, http.StatusOK, notice, "", nil)
}

func (h *handler) showModerators(w http.ResponseWriter, r *http.Request, rq *request, code int, notice, errMsg string, fill func(*moderatorsData)) {
	if !rq.can(moderators.ManageModerators) {
		h.fail(w, r, rq, errForbidden)
		return
	}
	ms, err := h.Moderators.List(r.Context())
	if err != nil {
		h.fail(w, r, rq, err)
		return
	}
	d := &moderatorsData{Moderators: ms, Roles: safeguard.Roles, Matrix: matrix()}
	d.Form.Role = string(safeguard.RoleModerator)
	if fill != nil {
		fill(d)
	}
	p := h.base(rq, "Moderators", "moderators")
	p.Notice, p.Error, p.Data = notice, errMsg, d
	h.render(w, r, code, "moderators", p)
}

// addModerator adds a moderator. The password, when generated, is shown on
// this response only (never in a URL, never stored in clear).
func (h *handler) addModerator(w http.ResponseWriter, r *http.Request, rq *request) {
	if !rq.can(moderators.ManageModerators) {
		h.fail(w, r, rq, errForbidden)
		return
	}
	name := strings.TrimSpace(r.PostFormValue("name"))
	roleText := r.PostFormValue("role")
	keep := func(d *moderatorsData) { d.Form.Name, d.Form.Role = name, roleText }
	role, err := safeguard.ParseModeratorRole(roleText)
	var added *moderators.Added
	if err == nil {
		added, err = h.Moderators.Add(r.Context(), rq.name(), name, role, r.PostFormValue("password"))
	}
	if err != nil {
		code := h.env.Status(err)
		if code >= 500 {
			h.fail(w, r, rq, err)
			return
		}
		h.showModerators(w, r, rq, code, "", safeguard.ErrorMessage(err), keep)
		return
	}
	notice := "Moderator " + added.Moderator.Name + " is added as " + added.Moderator.Role.Words() + "."
	h.showModerators(w, r, rq, http.StatusCreated, notice, "", func(d *moderatorsData) {
		d.Added, d.Generated = added.Moderator, added.Generated
	})
}

func (h *handler) changeModerator(w http.ResponseWriter, r *http.Request, rq *request) {
	if !rq.can(moderators.ManageModerators) {
		h.fail(w, r, rq, errForbidden)
		return
	}
	ids, err := pathIDs(r, "id")
	if err != nil {
		h.fail(w, r, rq, err)
		return
	}
	m, err := h.Moderators.Get(r.Context(), ids[0])
	if err != nil {
		h.fail(w, r, rq, safeguard.Errorf(safeguard.ErrNotFound, "no_such_moderator", "There is no such moderator."))
		return
	}
	action := r.PathValue("action")
	switch action {
	case "disable":
		_, err = h.Moderators.Disable(r.Context(), rq.name(), m.Name)
	case "enable":
		_, err = h.Moderators.Enable(r.Context(), rq.name(), m.Name)
	case "role":
		var role safeguard.ModeratorRole
		if role, err = safeguard.ParseModeratorRole(r.PostFormValue("role")); err == nil {
			_, err = h.Moderators.SetRole(r.Context(), rq.name(), m.Name, role)
		}
	default:
		h.fail(w, r, rq, errNoPage)
		return
	}
	if err != nil {
		code := h.env.Status(err)
		if code >= 500 {
			h.fail(w, r, rq, err)
			return
		}
		h.showModerators(w, r, rq, code, "", safeguard.ErrorMessage(err), nil)
		return
	}
	http.Redirect(w, r, "/console/moderators?done="+action, http.StatusSeeOther)
}
