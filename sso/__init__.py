"""Single sign-on: OpenID Connect login, strict id_token checks, accounts kept in sync with the provider's groups."""
