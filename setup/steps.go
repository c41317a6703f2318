package setup

import (
	"github.com/rosterhq/roster/directory"
	"github.com/rosterhq/roster/web/scimwords"
)

// The steps each identity provider's admin console needs, in order, with
// the values to paste. They follow the providers' own guides (Okta's
// "SCIM provisioning integration" and "Create OIDC app integrations",
// Microsoft's "Tutorial: develop and plan provisioning for a SCIM
// endpoint" and "Register an application"), named as their consoles
// name things.

// step is one thing to do in the provider's console.
type step struct {
	Title  string
	Text   []string
	Values []value
}

// value is something to paste, with a copy button.
type value struct {
	ID, Label, Value string
}

func providerLabel(p string) string {
	if p == directory.SetupProviderGeneric {
		return "Another provider"
	}
	return directory.SetupProviderName(p)
}

func providerHint(purpose, p string) string {
	if p != directory.SetupProviderGeneric {
		return ""
	}
	if purpose == directory.SetupSCIM {
		return "Any SCIM 2.0 client"
	}
	return "Any OpenID Connect provider"
}

// scimSteps are the SCIM steps of provider p. token is shown once, ""
// when none was generated on this page.
func scimSteps(p, base, token string) []step {
	url := value{ID: "scim-url", Label: "SCIM base URL", Value: base}
	tok := value{ID: "scim-token", Label: "SCIM token (bearer token)", Value: token}
	tokenNote := "Generate a SCIM token below first; it is shown only once."
	if token != "" {
		tokenNote = "This token is shown only this once: paste it now. If you lose it, generate another."
	}
	withToken := func(vs ...value) []value {
		if token == "" {
			return vs
		}
		return append(vs, tok)
	}
	switch p {
	case directory.SetupProviderOkta:
		return []step{
			{Title: "Create the app integration", Text: []string{"In the Okta Admin Console open Applications › Applications › Create App Integration, choose OIDC - OpenID Connect and Web Application (or SAML), name it Roster, and save.",
				"On the app's General tab, under App Settings, click Edit, set Provisioning to SCIM and save. A Provisioning tab appears."}},
			{Title: "Connect Okta to Roster", Text: []string{"Provisioning › Integration › Edit. Paste the SCIM connector base URL. Unique identifier field for users: userName. Supported provisioning actions: Push New Users, Push Profile Updates and Push Groups. Authentication Mode: HTTP Header.",
				"Paste the token into Authorization (Okta adds \"Bearer\" itself). " + tokenNote, "Click Test Connector Configuration, then Save."},
				Values: withToken(url)},
			{Title: "Switch provisioning on", Text: []string{"Provisioning › To App › Edit: enable Create Users, Update User Attributes and Deactivate Users, and save.",
				"Attributes to map (Okta's defaults): userName = user.email (Roster's sign-in address), givenName, familyName, email (primary, work). Roster also reads externalId, active and the enterprise manager and department."}},
			{Title: "Assign people", Text: []string{"On the Assignments tab assign the people or groups who should be in Roster; use Push Groups to send groups as Roster teams. Okta sends its first request within seconds; it appears below."}},
		}
	case directory.SetupProviderEntra:
		return []step{
			{Title: "Create the enterprise application", Text: []string{"In the Microsoft Entra admin center open Identity › Applications › Enterprise applications › New application › Create your own application, name it Roster and choose \"Integrate any other application you don't find in the gallery (Non-gallery)\"."}},
			{Title: "Connect Entra to Roster", Text: []string{"Open Provisioning › Get started (or New configuration), set Provisioning Mode to Automatic. Under Admin Credentials paste the Tenant URL and the Secret Token. " + tokenNote,
				"Click Test Connection: Entra looks up a user that does not exist and expects an empty answer, which Roster gives."},
				Values: withToken(url)},
			{Title: "Check the attribute mappings", Text: []string{"Mappings › Provision Microsoft Entra ID Users: keep userName = userPrincipalName (or mail, if people sign in with their email), active = Switch([IsSoftDeleted]…), emails[type eq \"work\"].value = mail, name.givenName, name.familyName, externalId = objectId. Matching attribute: userName.",
				"Keep Provision Microsoft Entra ID Groups on to send groups as Roster teams."}},
			{Title: "Start provisioning", Text: []string{"Under Settings set Scope to \"Sync only assigned users and groups\", assign people on Users and groups, set Provisioning Status to On and save. Entra's first cycle can take up to 40 minutes; \"Provision on demand\" sends one user at once, and it appears below."}},
		}
	case directory.SetupProviderGoogle:
		return []step{
			{Title: "Use a SCIM app", Text: []string{"Google Workspace provisions only apps from its catalogue, not any SCIM endpoint. If your Google Workspace cannot provision custom apps, people can still join through single sign-on with a verified domain; otherwise use the values below in a tool that speaks SCIM 2.0."},
				Values: withToken(url)},
		}
	case directory.SetupProviderOneLogin:
		return []step{
			{Title: "Add the SCIM app", Text: []string{"In OneLogin Administration open Applications › Add App, search for \"SCIM Provisioner with SAML (SCIM v2 Core)\", name it Roster and save."}},
			{Title: "Connect OneLogin to Roster", Text: []string{"On the Configuration tab paste the SCIM Base URL and the SCIM Bearer Token, set SCIM JSON Template userName to {$user.email}, and click Enable under API Connection. " + tokenNote}, Values: withToken(url)},
			{Title: "Switch provisioning on", Text: []string{"On the Provisioning tab tick Enable provisioning and choose what happens when a user is deleted (Suspend is Roster's deactivate). Assign the app to people under Users; requests appear below."}},
		}
	case directory.SetupProviderJumpCloud:
		return []step{
			{Title: "Add a custom SCIM application", Text: []string{"In the JumpCloud Admin Portal open SSO Applications › Add New Application › Custom Application, choose Manage Single Sign-On and Export users to this app (Identity Management), name it Roster and save."}},
			{Title: "Connect JumpCloud to Roster", Text: []string{"On the Identity Management tab choose SCIM 2.0, paste the Base URL and the Token Key (header Authorization: Bearer), then Test Connection and Activate. " + tokenNote}, Values: withToken(url)},
			{Title: "Bind people", Text: []string{"On User Groups bind the groups whose people should be in Roster; JumpCloud pushes them at once and the requests appear below."}},
		}
	}
	return []step{
		{Title: "Point your SCIM client at Roster", Text: []string{"Roster speaks SCIM 2.0 (RFC 7643, 7644): /Users and /Groups with filter (eq, and, or, co, sw), PATCH, paging, and /ServiceProviderConfig. Authenticate with the token as an HTTP bearer token. " + tokenNote}, Values: withToken(url)},
		{Title: "Map the attributes", Text: []string{"userName is the person's sign-in email address; also send emails (primary, work), name.givenName and name.familyName, active, and externalId (your provider's stable id)."}},
	}
}

// ssoSteps are the single sign-on steps of provider p.
func ssoSteps(p, redirect string) []step {
	redirectURI := value{ID: "redirect-uri", Label: "Redirect URI", Value: redirect}
	scopes := value{ID: "scopes", Label: "Scopes", Value: "openid email profile"}
	switch p {
	case directory.SetupProviderOkta:
		return []step{
			{Title: "Create the OIDC app", Text: []string{"In the Okta Admin Console open Applications › Applications › Create App Integration, choose OIDC - OpenID Connect and Web Application."},
				Values: nil},
			{Title: "Set the sign-in redirect", Text: []string{"Name it Roster. Grant type: Authorization Code only. Paste the Sign-in redirect URI; leave sign-out redirect empty. Under Assignments choose who may use it, and save. The scopes Roster asks for are openid, email and profile."},
				Values: []value{redirectURI, scopes}},
			{Title: "Copy the client and the issuer", Text: []string{"From the app's General tab copy the Client ID and the Client secret into the form below. The issuer is your Okta domain, e.g. https://acme.okta.com (or an authorization server's issuer, https://acme.okta.com/oauth2/default)."}},
		}
	case directory.SetupProviderEntra:
		return []step{
			{Title: "Register the application", Text: []string{"In the Microsoft Entra admin center open Identity › Applications › App registrations › New registration. Name: Roster. Supported account types: \"Accounts in this organizational directory only (Single tenant)\". Redirect URI: platform Web, paste the value below. Register."},
				Values: []value{redirectURI}},
			{Title: "Make a client secret", Text: []string{"Certificates & secrets › Client secrets › New client secret. Copy its Value (not its ID) at once; Entra shows it once."}},
			{Title: "Add the email claim", Text: []string{"Token configuration › Add optional claim › ID › email (and xms_edov, which tells Roster your tenant owns the email's domain). API permissions: Microsoft Graph openid, email, profile (delegated)."},
				Values: []value{scopes}},
			{Title: "Copy the ids", Text: []string{"From Overview copy the Application (client) ID and the Directory (tenant) ID into the form below."}},
		}
	case directory.SetupProviderGoogle:
		return []step{
			{Title: "Create the OAuth client", Text: []string{"In the Google Cloud console of your organisation open APIs & Services › Credentials › Create credentials › OAuth client ID. Application type: Web application, name Roster. Paste the Authorised redirect URI."},
				Values: []value{redirectURI}},
			{Title: "Keep it to your organisation", Text: []string{"Under OAuth consent screen set User type to Internal, so only your Google Workspace accounts can sign in. Scopes: openid, email, profile."},
				Values: []value{scopes}},
			{Title: "Copy the client", Text: []string{"Copy the Client ID and Client secret into the form below, with your Google Workspace domain (Roster checks every sign-in's hd claim against it)."}},
		}
	case directory.SetupProviderOneLogin:
		return []step{
			{Title: "Add the OIDC app", Text: []string{"In OneLogin Administration open Applications › Add App, search for \"OpenId Connect (OIDC)\", name it Roster and save. On Configuration paste the Redirect URI."},
				Values: []value{redirectURI}},
			{Title: "Set the token", Text: []string{"On SSO set Application Type to Web and Token Endpoint Authentication Method to POST or Basic. Copy the Client ID, Client Secret and the Issuer URL (https://<subdomain>.onelogin.com/oidc/2) into the form below."},
				Values: []value{scopes}},
		}
	case directory.SetupProviderJumpCloud:
		return []step{
			{Title: "Add an OIDC application", Text: []string{"In the JumpCloud Admin Portal open SSO Applications › Add New Application › Custom Application, choose Manage Single Sign-On (SSO) with OIDC. Paste the Redirect URI, set Client Authentication Type to Client Secret Basic, and include the email and profile attributes."},
				Values: []value{redirectURI, scopes}},
			{Title: "Copy the client", Text: []string{"Activate the app and copy the Client ID and Client Secret (shown once) into the form below. The issuer is https://oauth.id.jumpcloud.com/."}},
		}
	}
	return []step{
		{Title: "Register Roster as a client", Text: []string{"Create a confidential web client using the authorization code flow (Roster uses PKCE and a nonce). Paste the redirect URI and allow the scopes below. Roster needs the email claim, and email_verified true, in the ID token or from userinfo."},
			Values: []value{redirectURI, scopes}},
		{Title: "Copy the client and the issuer", Text: []string{"Enter the issuer (the URL whose /.well-known/openid-configuration is the discovery document), the client id and the client secret below."}},
	}
}

// ssoKind is the OIDC connection kind of a picked provider.
func ssoKind(p string) string {
	switch p {
	case directory.SetupProviderEntra:
		return directory.OIDCEntra
	case directory.SetupProviderGoogle:
		return directory.OIDCGoogle
	}
	return directory.OIDCGeneric
}

// requestRow is one SCIM request as the page shows it.
type requestRow struct {
	When, Method, Path, Result string
	Status                     int
	OK                         bool
}

// explain is a SCIM request as the page shows it, in the words the
// console's request log uses too (scimwords).
func explain(r directory.SCIMRequest) requestRow {
	return requestRow{When: when(r.CreatedAt), Method: r.Method, Path: r.Path, Status: r.Status, OK: r.Succeeded(), Result: scimwords.Summary(r, nil)}
}
