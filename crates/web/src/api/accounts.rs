//! Sign-up, tokens and the caller's own account.

use super::dto::*;
use super::{ApiJson, IdPath};
use crate::actions::{self, SignupInput};
use crate::auth::{ApiCaller, ClientIp, check_credentials, now};
use crate::error::{ApiError, ErrorBody};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;

/// Creates an account.
#[utoipa::path(post, path = "/api/v1/auth/signup", tag = "accounts", request_body = SignupRequest,
    responses((status = 201, body = AccountBody), (status = 422, body = ErrorBody), (status = 400, body = ErrorBody)))]
pub async fn signup(
    State(state): State<AppState>,
    ApiJson(req): ApiJson<SignupRequest>,
) -> Result<(StatusCode, Json<AccountBody>), ApiError> {
    let account = actions::signup(
        &state,
        SignupInput {
            email: &req.email,
            password: &req.password,
            display_name: &req.display_name,
            time_zone: &req.time_zone,
        },
    )
    .await?;
    Ok((StatusCode::CREATED, Json(AccountBody::from(&account))))
}

/// Exchanges email and password for a bearer token.
#[utoipa::path(post, path = "/api/v1/auth/token", tag = "accounts", request_body = TokenRequest,
    responses((status = 201, body = IssuedToken), (status = 401, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn token(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiJson(req): ApiJson<TokenRequest>,
) -> Result<(StatusCode, Json<IssuedToken>), ApiError> {
    let account = check_credentials(&state, &req.email, &req.password, ip).await?;
    let name = req
        .name
        .as_deref()
        .filter(|n| !n.trim().is_empty())
        .unwrap_or("API token");
    let (token, secret) = actions::create_api_token(&state, &account, name).await?;
    Ok((
        StatusCode::CREATED,
        Json(IssuedToken {
            id: token.id,
            name: token.name,
            token: secret,
        }),
    ))
}

/// The caller's account.
#[utoipa::path(get, path = "/api/v1/me", tag = "accounts", security(("bearer" = [])),
    responses((status = 200, body = AccountBody), (status = 401, body = ErrorBody)))]
pub async fn me(caller: ApiCaller) -> Json<AccountBody> {
    Json(AccountBody::from(&caller.0))
}

/// Updates the caller's profile.
#[utoipa::path(patch, path = "/api/v1/me", tag = "accounts", security(("bearer" = [])), request_body = ProfileRequest,
    responses((status = 200, body = AccountBody), (status = 422, body = ErrorBody)))]
pub async fn update_me(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiJson(req): ApiJson<ProfileRequest>,
) -> Result<Json<AccountBody>, ApiError> {
    let account = actions::update_profile(
        &state,
        &caller.0,
        &req.display_name,
        &req.time_zone,
        &req.languages,
        req.country.as_deref().unwrap_or(""),
    )
    .await?;
    Ok(Json(AccountBody::from(&account)))
}

/// Changes the password; every browser session ends.
#[utoipa::path(post, path = "/api/v1/me/password", tag = "accounts", security(("bearer" = [])), request_body = PasswordRequest,
    responses((status = 204), (status = 422, body = ErrorBody)))]
pub async fn change_password(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiJson(req): ApiJson<PasswordRequest>,
) -> Result<StatusCode, ApiError> {
    actions::change_password(
        &state,
        &caller.0,
        &req.current_password,
        &req.new_password,
        None,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The caller's API tokens (secrets are never shown again).
#[utoipa::path(get, path = "/api/v1/me/tokens", tag = "accounts", security(("bearer" = [])),
    responses((status = 200, body = Vec<TokenBody>)))]
pub async fn tokens(
    State(state): State<AppState>,
    caller: ApiCaller,
) -> Result<Json<Vec<TokenBody>>, ApiError> {
    let tokens = state.store.api_tokens(caller.0.id).await?;
    Ok(Json(tokens.iter().map(TokenBody::from).collect()))
}

/// Creates another API token.
#[utoipa::path(post, path = "/api/v1/me/tokens", tag = "accounts", security(("bearer" = [])), request_body = NewTokenRequest,
    responses((status = 201, body = IssuedToken), (status = 409, body = ErrorBody)))]
pub async fn create_token(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiJson(req): ApiJson<NewTokenRequest>,
) -> Result<(StatusCode, Json<IssuedToken>), ApiError> {
    let (token, secret) = actions::create_api_token(&state, &caller.0, &req.name).await?;
    Ok((
        StatusCode::CREATED,
        Json(IssuedToken {
            id: token.id,
            name: token.name,
            token: secret,
        }),
    ))
}

/// Revokes one of the caller's tokens.
#[utoipa::path(delete, path = "/api/v1/me/tokens/{id}", tag = "accounts", security(("bearer" = [])),
    params(("id" = i64, Path)), responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn revoke_token(
    State(state): State<AppState>,
    caller: ApiCaller,
    IdPath(id): IdPath,
) -> Result<StatusCode, ApiError> {
    state
        .store
        .revoke_api_token(caller.0.id, id, now())
        .await
        .map_err(|_| crate::error::Failure::not_found("live token"))?;
    Ok(StatusCode::NO_CONTENT)
}
