package httpapi

import (
	"net/http"
	"strings"

	"github.com/paykit/paykit"
)

// Authentication of the Gigapay dialect: Token keys and Integration-ID, and
// HTTP Basic in a browser.

// authenticate finds the account by its API key, and on integration routes the
// integration named by Integration-ID.
func (c *gigapayCall) authenticate() error {
	if c.route.access == accessPublic {
		return nil
	}
	key, integrationID, err := gigapayCredentials(c.r, c.html)
	if err != nil {
		return err
	}
	t, err := c.svc.Authenticate(c.ctx, key)
	if paykit.ErrorCode(err) == paykit.EUNAUTHORIZED {
		return paykit.Errorf(paykit.EUNAUTHORIZED, "Invalid token.")
	} else if err != nil {
		return err
	}
	c.account, c.tenantID = t, t.ID
	if c.route.access == accessAccount {
		return nil
	}
	if integrationID == "" {
		return paykit.Errorf(paykit.EFORBIDDEN, "The Integration-ID header is required.")
	}
	integ, err := c.svc.FindIntegrationByID(c.ctx, t.ID, integrationID)
	if paykit.ErrorCode(err) == paykit.ENOTFOUND {
		return paykit.Errorf(paykit.EFORBIDDEN, "Integration %q does not exist or does not belong to this API key.", integrationID)
	} else if err != nil {
		return err
	}
	c.tenantID = integ.TenantID
	return nil
}

// errNoCredentials is a missing Authorization header. Like every
// authentication failure of the dialect it is 403, as the Gigapay
// documentation says, and in a browser a 401 that makes it ask for HTTP Basic
// credentials (see render).
var errNoCredentials = paykit.Errorf(paykit.EUNAUTHORIZED, "Authentication credentials were not provided.")

// gigapayCredentials returns the API key of "Authorization: Token <key>" and
// the Integration-ID header; in a browser also HTTP Basic, with the key as user
// name and the integration id as password.
func gigapayCredentials(r *http.Request, html bool) (key, integrationID string, err error) {
	integrationID = strings.TrimSpace(headerCI(r, "Integration-ID"))
	h := strings.TrimSpace(headerCI(r, "Authorization"))
	scheme, rest, _ := strings.Cut(h, " ")
	rest = strings.TrimSpace(rest)
	switch {
	case strings.EqualFold(scheme, "Token"):
		switch {
		case rest == "":
			return "", "", paykit.Errorf(paykit.EUNAUTHORIZED, "Invalid token header. No credentials provided.")
		case strings.ContainsAny(rest, " \t"):
			return "", "", paykit.Errorf(paykit.EUNAUTHORIZED, "Invalid token header. Token string should not contain spaces.")
		}
		return rest, integrationID, nil
	case html && strings.EqualFold(scheme, "Basic"):
		if user, pass, ok := r.BasicAuth(); ok && user != "" {
			if integrationID == "" {
				integrationID = pass
			}
			return user, integrationID, nil
		}
	}
	return "", "", errNoCredentials
}
