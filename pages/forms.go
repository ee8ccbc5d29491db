package pages

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Form tokens: how the pages know a POST comes from a form they showed, for
// the state they showed it in.
//
// A token is "<expiry>.<state>.<mac>": the expiry in unix seconds by the
// Service's clock, the state (base64url) of what the form acts on when it was
// shown (a token's status and update time, a session's last redelivery...),
// and an HMAC-SHA256 (128 bits, base64url) under the handler's form key of
// the scope, the action, the state and the expiry. The scope is the
// capability the page was opened with (the link's secret) or the console
// session's id, so a token works only with the link or session it was made
// for, and a page of another site, which has neither, cannot make one.
//
// Nothing is stored: a form is checked by recomputing its MAC, so any process
// with the key checks any form. A replayed form fails because the state it
// carries is no longer the state of what it acts on (every change the Service
// makes moves the update time), which the handler compares after the MAC
// (checkState): 409, and nothing changes. Two posts of one form at once both
// pass that check, and the Service, which decides every change in one
// transaction, refuses the second.

// formField is the name of the form token's field.
const formField = "csrf"

// forms makes and checks form tokens.
type forms struct {
	key []byte
	ttl time.Duration
	now func() time.Time // the Service's clock
}

// form is what a template needs to render a form: where it posts, and its
// token.
type form struct {
	Action string
	Token  string
}

func derive(key []byte, purpose string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(purpose))
	return m.Sum(nil)
}

func (f forms) mac(scope, action, state string, exp int64) string {
	m := hmac.New(sha256.New, f.key)
	for _, part := range []string{scope, action, state, strconv.FormatInt(exp, 10)} {
		m.Write([]byte(part))
		m.Write([]byte{0})
	}
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:16])
}

// token returns the token of a form that does action in scope, shown with
// what it acts on in state.
func (f forms) token(scope, action, state string) string {
	exp := f.now().Add(f.ttl).Unix()
	return strconv.FormatInt(exp, 10) + "." + base64.RawURLEncoding.EncodeToString([]byte(state)) + "." +
		f.mac(scope, action, state, exp)
}

// make returns a form posting to path with its token.
func (f forms) make(path, scope, action, state string) form {
	return form{Action: path, Token: f.token(scope, action, state)}
}

// Refusals of a form, before the Service sees it.
var (
	errNoToken = &errForm{http.StatusForbidden, "Form refused",
		"This form came without its security token, so nothing was done. Open the page again and use its buttons."}
	errBadToken = &errForm{http.StatusForbidden, "Form refused",
		"This form's security token is not valid for this page, so nothing was done. Open the page again and use its buttons."}
	errOldToken = &errForm{http.StatusForbidden, "Form expired",
		"This form was shown too long ago, so nothing was done. Open the page again."}
	errStale = &errForm{http.StatusConflict, "Already done",
		"This form was already sent, or the page changed since it was shown, so nothing more was done. Open the page again to see where things stand."}
)

// check verifies the form token of r for action in scope and returns the
// state it was shown with.
func (f forms) check(r *http.Request, scope, action string) (string, error) {
	tok := r.PostFormValue(formField)
	if tok == "" {
		return "", errNoToken
	}
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return "", errBadToken
	}
	exp, err := strconv.ParseInt(parts[0], 10, 64)
	if err != nil {
		return "", errBadToken
	}
	state, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return "", errBadToken
	}
	if !hmac.Equal([]byte(parts[2]), []byte(f.mac(scope, action, string(state), exp))) {
		return "", errBadToken
	}
	if f.now().Unix() >= exp {
		return "", errOldToken
	}
	return string(state), nil
}

// checkState verifies the form token of r and that what it acts on is still
// in the state the form was shown with.
func (f forms) checkState(r *http.Request, scope, action, current string) error {
	state, err := f.check(r, scope, action)
	if err != nil {
		return err
	}
	if !hmac.Equal([]byte(state), []byte(current)) {
		return errStale
	}
	return nil
}

// stateOf is the state of a noun for a form: its update time and what else
// tells its changes apart (its status...), in case two happen within one
// microsecond of the clock (or none passes, as with a mock clock).
func stateOf(updated time.Time, parts ...string) string {
	return strconv.FormatInt(updated.UnixMicro(), 10) + "|" + strings.Join(parts, "|")
}
