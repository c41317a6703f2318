package devidp

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/subtle"
	"errors"
	"fmt"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/google/uuid"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// Lifetimes of what the provider hands out. A sign-in through it is one
// browser round trip, so everything is short.
const (
	requestTTL     = 10 * time.Minute
	accessTokenTTL = 5 * time.Minute
	idTokenTTL     = 5 * time.Minute
)

// errNotFound is a request, code or token the provider does not know.
var errNotFound = errors.New("devidp: not found")

// person is who typed an address into the login form.
type person struct {
	email string
	name  string
}

// authRequest is one authorization request between the authorize
// endpoint and the token exchange.
type authRequest struct {
	id          string
	created     time.Time
	clientID    string
	redirectURI string
	state       string
	nonce       string
	scopes      []string
	loginHint   string
	respType    oidc.ResponseType
	respMode    oidc.ResponseMode
	challenge   *oidc.CodeChallenge
	subject     string
	authTime    time.Time
	done        bool
}

func (a *authRequest) GetID() string                         { return a.id }
func (a *authRequest) GetACR() string                        { return "" }
func (a *authRequest) GetAMR() []string                      { return []string{"dev"} }
func (a *authRequest) GetAudience() []string                 { return []string{a.clientID} }
func (a *authRequest) GetAuthTime() time.Time                { return a.authTime }
func (a *authRequest) GetClientID() string                   { return a.clientID }
func (a *authRequest) GetCodeChallenge() *oidc.CodeChallenge { return a.challenge }
func (a *authRequest) GetNonce() string                      { return a.nonce }
func (a *authRequest) GetRedirectURI() string                { return a.redirectURI }
func (a *authRequest) GetResponseType() oidc.ResponseType    { return a.respType }
func (a *authRequest) GetResponseMode() oidc.ResponseMode    { return a.respMode }
func (a *authRequest) GetScopes() []string                   { return a.scopes }
func (a *authRequest) GetState() string                      { return a.state }
func (a *authRequest) GetSubject() string                    { return a.subject }
func (a *authRequest) Done() bool                            { return a.done }

// accessToken is an issued access token, for the userinfo endpoint.
type accessToken struct {
	subject string
	client  string
	scopes  []string
	expires time.Time
}

// storage is the provider's memory: the one client (Roster itself), the
// signing key made at start, and the requests, codes and tokens in
// flight. Nothing survives a restart, which is what a development
// provider wants.
type storage struct {
	client *client
	key    *signingKey

	mu       sync.Mutex
	requests map[string]*authRequest
	codes    map[string]string
	tokens   map[string]*accessToken
	people   map[string]person
}

func newStorage(c *client) (*storage, error) {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, fmt.Errorf("devidp: signing key: %w", err)
	}
	return &storage{client: c, key: &signingKey{id: uuid.NewString(), key: k},
		requests: map[string]*authRequest{}, codes: map[string]string{}, tokens: map[string]*accessToken{}, people: map[string]person{}}, nil
}

// sweep forgets requests and tokens past their lifetime; called with mu
// held on every new request, so memory stays bounded without a goroutine.
func (s *storage) sweep(now time.Time) {
	for id, r := range s.requests {
		if now.Sub(r.created) > requestTTL {
			delete(s.requests, id)
		}
	}
	for code, id := range s.codes {
		if _, ok := s.requests[id]; !ok {
			delete(s.codes, code)
		}
	}
	for id, t := range s.tokens {
		if now.After(t.expires) {
			delete(s.tokens, id)
		}
	}
}

func (s *storage) CreateAuthRequest(_ context.Context, req *oidc.AuthRequest, _ string) (op.AuthRequest, error) {
	if len(req.Prompt) == 1 && req.Prompt[0] == oidc.PromptNone {
		return nil, oidc.ErrLoginRequired()
	}
	now := time.Now()
	a := &authRequest{id: uuid.NewString(), created: now, clientID: req.ClientID, redirectURI: req.RedirectURI, state: req.State,
		nonce: req.Nonce, scopes: req.Scopes, loginHint: req.LoginHint, respType: req.ResponseType, respMode: req.ResponseMode}
	if req.CodeChallenge != "" {
		a.challenge = &oidc.CodeChallenge{Challenge: req.CodeChallenge, Method: req.CodeChallengeMethod}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sweep(now)
	s.requests[a.id] = a
	return a, nil
}

// request is a pending authorization request, for the login form.
func (s *storage) request(id string) (*authRequest, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.requests[id]
	return a, ok
}

// signIn finishes the login form: the request now belongs to the person.
func (s *storage) signIn(id string, p person) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.requests[id]
	if !ok {
		return errNotFound
	}
	a.subject, a.authTime, a.done = subjectOf(p.email), time.Now(), true
	s.people[a.subject] = p
	return nil
}

// subjectOf is the stable subject of an address: the same address is the
// same person across restarts.
func subjectOf(email string) string { return "dev:" + email }

func (s *storage) AuthRequestByID(_ context.Context, id string) (op.AuthRequest, error) {
	if a, ok := s.request(id); ok {
		return a, nil
	}
	return nil, errNotFound
}

func (s *storage) AuthRequestByCode(ctx context.Context, code string) (op.AuthRequest, error) {
	s.mu.Lock()
	id, ok := s.codes[code]
	s.mu.Unlock()
	if !ok {
		return nil, errNotFound
	}
	return s.AuthRequestByID(ctx, id)
}

func (s *storage) SaveAuthCode(_ context.Context, id, code string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.codes[code] = id
	return nil
}

func (s *storage) DeleteAuthRequest(_ context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.requests, id)
	for code, rid := range s.codes {
		if rid == id {
			delete(s.codes, code)
		}
	}
	return nil
}

func (s *storage) CreateAccessToken(_ context.Context, req op.TokenRequest) (string, time.Time, error) {
	t := &accessToken{subject: req.GetSubject(), scopes: req.GetScopes(), expires: time.Now().Add(accessTokenTTL)}
	if a, ok := req.(*authRequest); ok {
		t.client = a.clientID
	}
	id := uuid.NewString()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokens[id] = t
	return id, t.expires, nil
}

// errNoRefresh: the client is registered for the code grant only, so the
// library never asks for refresh tokens; answering plainly if it did.
var errNoRefresh = errors.New("devidp: refresh tokens are not offered")

func (s *storage) CreateAccessAndRefreshTokens(context.Context, op.TokenRequest, string) (string, string, time.Time, error) {
	return "", "", time.Time{}, errNoRefresh
}

func (s *storage) TokenRequestByRefreshToken(context.Context, string) (op.RefreshTokenRequest, error) {
	return nil, errNoRefresh
}

func (s *storage) TerminateSession(context.Context, string, string) error { return nil }

func (s *storage) RevokeToken(_ context.Context, token, _, _ string) *oidc.Error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.tokens, token)
	return nil
}

func (s *storage) GetRefreshTokenInfo(context.Context, string, string) (string, string, error) {
	return "", "", op.ErrInvalidRefreshToken
}

func (s *storage) SigningKey(context.Context) (op.SigningKey, error) { return s.key, nil }

func (s *storage) SignatureAlgorithms(context.Context) ([]jose.SignatureAlgorithm, error) {
	return []jose.SignatureAlgorithm{jose.RS256}, nil
}

func (s *storage) KeySet(context.Context) ([]op.Key, error) { return []op.Key{publicKey{s.key}}, nil }

func (s *storage) GetClientByClientID(_ context.Context, id string) (op.Client, error) {
	if id != s.client.id {
		return nil, errNotFound
	}
	return s.client, nil
}

func (s *storage) AuthorizeClientIDSecret(_ context.Context, id, secret string) error {
	if id != s.client.id || subtle.ConstantTimeCompare([]byte(secret), []byte(s.client.secret)) != 1 {
		return errors.New("devidp: wrong client credentials")
	}
	return nil
}

// setUserinfo fills the claims Roster reads: the address (verified: the
// person typed it, which is the whole point of a development provider)
// and the name.
func (s *storage) setUserinfo(info *oidc.UserInfo, subject string) error {
	s.mu.Lock()
	p, ok := s.people[subject]
	s.mu.Unlock()
	if !ok {
		return errNotFound
	}
	info.Subject = subject
	info.Email = p.email
	info.EmailVerified = oidc.Bool(true)
	info.Name = p.name
	return nil
}

func (s *storage) SetUserinfoFromScopes(_ context.Context, info *oidc.UserInfo, subject, _ string, _ []string) error {
	return s.setUserinfo(info, subject)
}

func (s *storage) SetUserinfoFromRequest(_ context.Context, info *oidc.UserInfo, req op.IDTokenRequest, _ []string) error {
	return s.setUserinfo(info, req.GetSubject())
}

func (s *storage) SetUserinfoFromToken(_ context.Context, info *oidc.UserInfo, tokenID, _, _ string) error {
	s.mu.Lock()
	t, ok := s.tokens[tokenID]
	s.mu.Unlock()
	if !ok || time.Now().After(t.expires) {
		return errNotFound
	}
	return s.setUserinfo(info, t.subject)
}

func (s *storage) SetIntrospectionFromToken(_ context.Context, resp *oidc.IntrospectionResponse, tokenID, _, clientID string) error {
	s.mu.Lock()
	t, ok := s.tokens[tokenID]
	s.mu.Unlock()
	if !ok || time.Now().After(t.expires) || t.client != clientID {
		return errNotFound
	}
	resp.Active, resp.Subject, resp.ClientID, resp.Scope = true, t.subject, t.client, t.scopes
	return nil
}

func (s *storage) GetPrivateClaimsFromScopes(context.Context, string, string, []string) (map[string]any, error) {
	return nil, nil
}

func (s *storage) GetKeyByIDAndClientID(context.Context, string, string) (*jose.JSONWebKey, error) {
	return nil, errors.New("devidp: JWT client authentication is not offered")
}

func (s *storage) ValidateJWTProfileScopes(context.Context, string, []string) ([]string, error) {
	return nil, errors.New("devidp: the JWT profile grant is not offered")
}

func (s *storage) Health(context.Context) error { return nil }

// signingKey is the RS256 key the ID tokens are signed with.
type signingKey struct {
	id  string
	key *rsa.PrivateKey
}

func (k *signingKey) SignatureAlgorithm() jose.SignatureAlgorithm { return jose.RS256 }
func (k *signingKey) Key() any                                    { return k.key }
func (k *signingKey) ID() string                                  { return k.id }

// publicKey is the signing key's public half, for the JWKS endpoint.
type publicKey struct{ k *signingKey }

func (p publicKey) ID() string                         { return p.k.id }
func (p publicKey) Algorithm() jose.SignatureAlgorithm { return jose.RS256 }
func (p publicKey) Use() string                        { return "sig" }
func (p publicKey) Key() any                           { return &p.k.key.PublicKey }
