package pages

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/paykit/paykit"
)

// Console sessions: a tenant's operator logs in with one of its API keys.
//
// Nothing is stored: the session is a cookie holding the key, a session id
// and an expiry, sealed (AES-256-GCM) under the handler's session key, so the
// browser can neither read nor change it. Every request opens it and
// authenticates the key again with the Service, so a revoked or expired key
// (a rotation's overlap ended) ends its sessions at once, as it ends its API
// calls. The cookie is HttpOnly, SameSite=Strict, Secure over HTTPS, and
// scoped to the console's path; logging out clears it. A copied cookie works
// until its expiry (Options.SessionTTL), like a copied key works until it is
// revoked: revoke the key to end every session it opened.
//
// The login form has its own token, bound to a random cookie set with the
// form (a double submit), so that another site cannot log a browser into a
// tenant of its choosing.

const (
	sessionCookie = "paykit_console"
	loginCookie   = "paykit_console_login"
)

// session is an open console session.
type session struct {
	Key     string `json:"k"` // the API key it was opened with
	ID      string `json:"s"` // random: the forms' scope
	Expires int64  `json:"e"` // unix seconds by the Service's clock

	tenant *paykit.Tenant
}

func (s *site) aead() cipher.AEAD {
	block, err := aes.NewCipher(s.sessionKey)
	if err != nil {
		panic(err) // a 32-byte key: never
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		panic(err)
	}
	return aead
}

// sealSession returns the cookie value of sess.
func (s *site) sealSession(sess *session) string {
	b, err := json.Marshal(sess)
	if err != nil {
		panic(err) // strings and an int: never
	}
	aead := s.aead()
	nonce := make([]byte, aead.NonceSize())
	rand.Read(nonce)
	return base64.RawURLEncoding.EncodeToString(aead.Seal(nonce, nonce, b, []byte(sessionCookie)))
}

// openSession returns the session of r's cookie, authenticated now, or nil
// when there is none, it does not open, it expired, or its key no longer
// authenticates.
func (s *site) openSession(ctx context.Context, r *http.Request) (*session, error) {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return nil, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(c.Value)
	aead := s.aead()
	if err != nil || len(b) < aead.NonceSize() {
		return nil, nil
	}
	plain, err := aead.Open(nil, b[:aead.NonceSize()], b[aead.NonceSize():], []byte(sessionCookie))
	if err != nil {
		return nil, nil
	}
	var sess session
	if json.Unmarshal(plain, &sess) != nil || s.svc.Clock().Now().Unix() >= sess.Expires {
		return nil, nil
	}
	sess.tenant, err = s.svc.Authenticate(ctx, sess.Key)
	switch paykit.ErrorCode(err) {
	case "":
		return &sess, nil
	case paykit.EUNAUTHORIZED, paykit.EFORBIDDEN:
		return nil, nil
	}
	return nil, err
}

// cookiePath is the path the console's cookies are scoped to.
func cookiePath(r *http.Request) string { return basePath(r) + "/" }

func setCookie(w http.ResponseWriter, r *http.Request, name, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: value, Path: cookiePath(r), MaxAge: maxAge, HttpOnly: true,
		Secure: isHTTPS(r), SameSite: http.SameSiteStrictMode})
}

// randomID returns 128 random bits in base64url.
func randomID() string {
	b := make([]byte, 16)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// loginView is the login page.
type loginView struct {
	Login form
	Error string
}

// loginPage shows the login form, with a fresh double-submit cookie.
func (c *consolePages) loginPage(w http.ResponseWriter, r *http.Request, status int, problem string) {
	nonce := randomID()
	setCookie(w, r, loginCookie, nonce, 3600)
	v := loginView{Login: c.forms.make(basePath(r)+"/login", "login\x00"+nonce, "login", ""), Error: problem}
	c.render(w, r, status, "console_login", view{Title: "Console login", Data: v})
}

func (c *consolePages) showLogin(w http.ResponseWriter, r *http.Request) {
	if sess, err := c.openSession(r.Context(), r); err == nil && sess != nil {
		seeOther(w, r, "/")
		return
	}
	c.loginPage(w, r, http.StatusOK, "")
}

func (c *consolePages) login(w http.ResponseWriter, r *http.Request) {
	nonce, err := r.Cookie(loginCookie)
	if err != nil {
		c.fail(w, r, errNoToken)
		return
	}
	if _, err := c.forms.check(r, "login\x00"+nonce.Value, "login"); err != nil {
		c.fail(w, r, err)
		return
	}
	key := strings.TrimSpace(r.PostFormValue("key"))
	t, err := c.svc.Authenticate(r.Context(), key)
	switch paykit.ErrorCode(err) {
	case "":
	case paykit.EUNAUTHORIZED:
		c.loginPage(w, r, http.StatusUnauthorized, "That API key is not valid.")
		return
	case paykit.EFORBIDDEN:
		c.loginPage(w, r, http.StatusForbidden, "This account is locked.")
		return
	default:
		c.fail(w, r, err)
		return
	}
	sess := &session{Key: key, ID: randomID(), Expires: c.svc.Clock().Now().Add(c.sessionTTL).Unix(), tenant: t}
	setCookie(w, r, sessionCookie, c.sealSession(sess), int(c.sessionTTL.Seconds()))
	setCookie(w, r, loginCookie, "", -1)
	seeOther(w, r, "/")
}

func (c *consolePages) logout(w http.ResponseWriter, r *http.Request, sess *session) {
	if _, err := c.forms.check(r, sessionScope(sess), "logout"); err != nil {
		c.fail(w, r, err)
		return
	}
	setCookie(w, r, sessionCookie, "", -1)
	seeOther(w, r, "/login")
}

// sessionScope is the scope of a session's forms.
func sessionScope(sess *session) string { return "console\x00" + sess.ID }
