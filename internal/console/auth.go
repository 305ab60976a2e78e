package console

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"

	safeguard "github.com/safeguard-dev/safeguard"
	"github.com/safeguard-dev/safeguard/internal/moderators"
)

// Cookie names. The session cookie is scoped to /console and never sent
// cross-site; the login cookie carries the token of the login form before
// any session exists.
const (
	SessionCookie = "sg_console"
	loginCookie   = "sg_console_login"
)

// csp is the Content-Security-Policy of every console response: nothing
// from elsewhere, no script at all, no framing, forms post only here.
const csp = "default-src 'self'; script-src 'none'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// headers sets the security headers of every console response.
func (h *handler) headers(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", csp)
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("Referrer-Policy", "no-referrer")
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Cross-Origin-Opener-Policy", "same-origin")
		hd.Set("Cross-Origin-Resource-Policy", "same-origin")
		hd.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), interest-cohort=()")
		hd.Set("Cache-Control", "no-store")
		if h.env.HTTPS(r) {
			hd.Set("Strict-Transport-Security", "max-age=31536000")
		}
		next.ServeHTTP(w, r)
	})
}

// request is what a handler knows about a logged-in moderator's request.
type request struct {
	sess *moderators.Session
}

func (rq *request) name() string                     { return rq.sess.Moderator.Name }
func (rq *request) role() safeguard.ModeratorRole    { return rq.sess.Moderator.Role }
func (rq *request) can(p moderators.Permission) bool { return rq.moderator().Can(p) }

// Errors of the console's own checks.
var (
	errForbidden = safeguard.Errorf(safeguard.ErrPermission, "forbidden", "Your role does not allow this.")
	errCSRF      = safeguard.Errorf(safeguard.ErrPermission, "csrf", "This form has expired or did not come from the console. Go back, reload the page and try again.")
	errNoPage    = safeguard.Errorf(safeguard.ErrNotFound, "no_such_page", "There is no such page.")
)

// authed wraps a handler so that it runs only for a moderator with a live
// console session; anyone else — no cookie, an ended session, a chat
// account's bearer token — is sent to the login page and sees nothing.
// Every POST must carry the session's synchronizer token.
func (h *handler) authed(fn func(w http.ResponseWriter, r *http.Request, rq *request)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ck, err := r.Cookie(SessionCookie)
		var sess *moderators.Session
		if err == nil {
			sess, err = h.Moderators.Authenticate(r.Context(), ck.Value)
		}
		if err != nil {
			if !errors.Is(err, safeguard.ErrUnauthenticated) && !errors.Is(err, http.ErrNoCookie) {
				h.fail(w, r, nil, err)
				return
			}
			h.toLogin(w, r, ck != nil)
			return
		}
		rq := &request{sess: sess}
		if r.Method == http.MethodPost {
			r.Body = http.MaxBytesReader(w, r.Body, maxForm)
			if !h.sameSite(r) || !tokenEqual(r.PostFormValue("csrf"), sess.CSRFToken) {
				h.fail(w, r, rq, errCSRF)
				return
			}
		}
		fn(w, r, rq)
	}
}

// toLogin sends the browser to the login page, to come back here after.
func (h *handler) toLogin(w http.ResponseWriter, r *http.Request, ended bool) {
	if ended {
		h.setCookie(w, r, SessionCookie, "", -1)
	}
	q := url.Values{}
	if r.Method == http.MethodGet && r.URL.Path != "/console/" {
		q.Set("next", r.URL.RequestURI())
	}
	if ended {
		q.Set("ended", "1")
	}
	target := "/console/login"
	if len(q) > 0 {
		target += "?" + q.Encode()
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}

// sameSite refuses a POST the browser says came from another site.
func (h *handler) sameSite(r *http.Request) bool {
	switch r.Header.Get("Sec-Fetch-Site") {
	case "", "same-origin", "none":
		return true
	}
	return false
}

// tokenEqual compares a submitted token with the expected one in constant
// time; an empty expected token matches nothing.
func tokenEqual(got, want string) bool {
	return want != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// setCookie sets (maxAge 0: for the browser session) or deletes (maxAge < 0)
// a console cookie: HttpOnly, SameSite=Strict, Path=/console, Secure over
// HTTPS or when configured.
func (h *handler) setCookie(w http.ResponseWriter, r *http.Request, name, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: value, Path: "/console", MaxAge: maxAge, HttpOnly: true,
		Secure: h.cfg.SecureCookie || h.env.HTTPS(r), SameSite: http.SameSiteStrictMode})
}

func randomToken() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// safeNext returns where to go after login: a console path, never another
// site.
func safeNext(next string) string {
	u, err := url.Parse(next)
	if err != nil || next == "" || u.IsAbs() || u.Host != "" || u.User != nil || strings.HasPrefix(next, "//") || strings.Contains(next, `\`) {
		return "/console/"
	}
	clean := path.Clean(u.Path)
	if strings.HasSuffix(u.Path, "/") && clean != "/" {
		clean += "/"
	}
	if !strings.HasPrefix(clean, "/console/") || strings.HasPrefix(clean, "/console/login") {
		return "/console/"
	}
	out := &url.URL{Path: clean, RawQuery: u.RawQuery}
	return out.RequestURI()
}

type loginData struct {
	Name    string
	Next    string
	Ended   bool
	Bye     bool
	Error   string
	LoginTk string
}

func (h *handler) loginPage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	h.showLogin(w, r, http.StatusOK, loginData{Next: safeNext(q.Get("next")), Ended: q.Get("ended") == "1", Bye: q.Get("bye") == "1"})
}

// showLogin renders the login form with a fresh form token, also set in a
// cookie: the two must match when the form comes back.
func (h *handler) showLogin(w http.ResponseWriter, r *http.Request, code int, d loginData) {
	d.LoginTk = randomToken()
	h.setCookie(w, r, loginCookie, d.LoginTk, 0)
	h.render(w, r, code, "login", &page{Title: "Log in", Data: d})
}

func (h *handler) login(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	name, password := strings.TrimSpace(r.PostFormValue("name")), r.PostFormValue("password")
	d := loginData{Name: name, Next: safeNext(r.PostFormValue("next"))}
	ck, err := r.Cookie(loginCookie)
	if err != nil || !h.sameSite(r) || !tokenEqual(r.PostFormValue("csrf"), ck.Value) {
		d.Error = "The login form had expired. Please try again."
		h.showLogin(w, r, http.StatusForbidden, d)
		return
	}
	token, _, err := h.Moderators.Login(r.Context(), name, password, h.env.ClientAddr(r))
	if err != nil {
		code := h.env.Status(err)
		if code == http.StatusTooManyRequests || code == http.StatusServiceUnavailable {
			w.Header().Set("Retry-After", strconv.Itoa(safeguard.RetrySeconds(safeguard.RetryAfter(err))))
		}
		if code >= 500 {
			h.fail(w, r, nil, err)
			return
		}
		d.Error = safeguard.ErrorMessage(err)
		h.showLogin(w, r, code, d)
		return
	}
	h.setCookie(w, r, loginCookie, "", -1)
	h.setCookie(w, r, SessionCookie, token, 0)
	http.Redirect(w, r, d.Next, http.StatusSeeOther)
}

func (h *handler) logout(w http.ResponseWriter, r *http.Request, rq *request) {
	if ck, err := r.Cookie(SessionCookie); err == nil {
		if err := h.Moderators.Logout(r.Context(), ck.Value); err != nil {
			h.fail(w, r, rq, err)
			return
		}
	}
	h.setCookie(w, r, SessionCookie, "", -1)
	http.Redirect(w, r, "/console/login?bye=1", http.StatusSeeOther)
}
