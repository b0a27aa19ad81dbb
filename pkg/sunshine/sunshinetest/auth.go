package sunshinetest

import (
	"crypto/subtle"
	"errors"
	"net/http"
	"strings"

	"github.com/golang-jwt/jwt/v5"
)

// errUnauthorized is every authentication failure; the vendor does not say
// which part was wrong, and neither does the simulator.
var errUnauthorized = errors.New("unauthorized")

// authenticate identifies the caller of r (SWITCHBOARD.md section 4):
//
//   - Basic: user name = key id, password = key secret;
//   - Bearer JWT: HS256 only (alg none and others are refused), header `kid`
//     = key id, signed with the key secret, claim `scope` equal to the key's
//     scope (7#19), `exp` honoured when present.
//
// The key may belong to any app; authorize decides whether it may call
// appID. It must be called with s.mu held.
func (w *world) authenticate(r *http.Request) (*key, error) {
	h := r.Header.Get("Authorization")
	scheme, cred, _ := strings.Cut(h, " ")
	switch {
	case strings.EqualFold(scheme, "Basic"):
		id, secret, ok := r.BasicAuth()
		if !ok {
			return nil, errUnauthorized
		}
		k := w.keys[id]
		if k == nil || subtle.ConstantTimeCompare([]byte(secret), []byte(k.Secret)) != 1 {
			return nil, errUnauthorized
		}
		return k, nil
	case strings.EqualFold(scheme, "Bearer"):
		return w.verifyJWT(strings.TrimSpace(cred))
	}
	return nil, errUnauthorized
}

func (w *world) verifyJWT(raw string) (*key, error) {
	var k *key
	tok, err := jwt.Parse(raw, func(t *jwt.Token) (any, error) {
		kid, _ := t.Header["kid"].(string)
		if k = w.keys[kid]; k == nil {
			return nil, errUnauthorized
		}
		return []byte(k.Secret), nil
	}, jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}))
	if err != nil || !tok.Valid || k == nil {
		return nil, errUnauthorized
	}
	claims, ok := tok.Claims.(jwt.MapClaims)
	if !ok {
		return nil, errUnauthorized
	}
	if scope, _ := claims["scope"].(string); scope != k.Scope {
		return nil, errUnauthorized
	}
	return k, nil
}

// mayCall reports whether key k may call the (existing) app appID: account
// keys may call every app, app and integration keys only their own.
func (k *key) mayCall(appID string) bool {
	return k.Scope == ScopeAccount || k.appID == appID
}

func (k *key) caller() caller {
	return caller{keyID: k.ID, scope: k.Scope, integrationID: k.IntegrationID}
}
