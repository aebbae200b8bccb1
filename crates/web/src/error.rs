//! One error type for every handler, rendered as JSON for the API and HTML for pages.
//!
//! Architecture invariant: a 5xx says nothing about its cause to the client; the full
//! cause chain goes to the log. A 4xx names the field, the value and the rule.

use axum::http::{StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use onhand_core::{FieldError, Invalid};
use onhand_store::StoreError;

/// What went wrong, by what the caller can do about it.
#[derive(Debug)]
pub enum Failure {
    /// The input broke rules; each field says which.
    Invalid(Invalid),
    /// A request that cannot be read at all (bad JSON, wrong content type...).
    BadRequest(String),
    NotFound(String),
    /// Not signed in, or the credentials are wrong.
    Unauthorized(String),
    /// Signed in, but this is not yours to do.
    Forbidden(String),
    /// It clashes with something that exists ("email is already taken").
    Conflict(String),
    /// Not enough money: top up first, or the card was declined.
    PaymentRequired(String),
    /// A service we depend on (the payment gateway) did not answer; retry later.
    Unavailable(String),
    /// Too many attempts; try again after this many seconds.
    TooMany {
        retry_after_secs: u64,
        message: String,
    },
    /// Something broke on our side. The message is for the log only.
    Internal(anyhow::Error),
}

impl Failure {
    pub fn status_code(&self) -> StatusCode {
        match self {
            Failure::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Failure::BadRequest(_) => StatusCode::BAD_REQUEST,
            Failure::NotFound(_) => StatusCode::NOT_FOUND,
            Failure::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Failure::Forbidden(_) => StatusCode::FORBIDDEN,
            Failure::Conflict(_) => StatusCode::CONFLICT,
            Failure::PaymentRequired(_) => StatusCode::PAYMENT_REQUIRED,
            Failure::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Failure::TooMany { .. } => StatusCode::TOO_MANY_REQUESTS,
            Failure::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            Failure::Invalid(_) => "invalid",
            Failure::BadRequest(_) => "bad_request",
            Failure::NotFound(_) => "not_found",
            Failure::Unauthorized(_) => "unauthorized",
            Failure::Forbidden(_) => "forbidden",
            Failure::Conflict(_) => "conflict",
            Failure::PaymentRequired(_) => "payment_required",
            Failure::Unavailable(_) => "unavailable",
            Failure::TooMany { .. } => "too_many_requests",
            Failure::Internal(_) => "internal",
        }
    }

    pub fn message(&self) -> String {
        match self {
            Failure::Invalid(inv) => format!("some fields are not valid: {inv}"),
            Failure::BadRequest(m)
            | Failure::NotFound(m)
            | Failure::Unauthorized(m)
            | Failure::Forbidden(m)
            | Failure::Conflict(m)
            | Failure::PaymentRequired(m)
            | Failure::Unavailable(m) => m.clone(),
            Failure::TooMany { message, .. } => message.clone(),
            Failure::Internal(_) => "something went wrong on our side; it has been logged".into(),
        }
    }

    pub fn fields(&self) -> &[FieldError] {
        match self {
            Failure::Invalid(inv) => &inv.0,
            _ => &[],
        }
    }

    pub fn not_found(what: &str) -> Failure {
        Failure::NotFound(format!("{what} not found"))
    }

    fn log(&self) {
        if let Failure::Internal(e) = self {
            tracing::error!(error = ?e, "request failed");
        }
    }
}

impl From<Invalid> for Failure {
    fn from(e: Invalid) -> Self {
        Failure::Invalid(e)
    }
}

impl From<StoreError> for Failure {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict(what) => Failure::Conflict(format!("{what} is already taken")),
            StoreError::NotFound => Failure::NotFound("not found".into()),
            StoreError::WrongState(m) => Failure::Conflict(m),
            StoreError::InsufficientFunds {
                available_minor,
                needed_minor,
            } => Failure::PaymentRequired(format!(
                "{available_minor} (minor units) is available; {needed_minor} is needed"
            )),
            StoreError::Backend(_) => Failure::Internal(anyhow::Error::new(e)),
        }
    }
}

impl From<anyhow::Error> for Failure {
    fn from(e: anyhow::Error) -> Self {
        Failure::Internal(e)
    }
}

/// A failure answered as `{"error": {"code", "message", "fields"}}`.
#[derive(Debug)]
pub struct ApiError(pub Failure);

impl<E: Into<Failure>> From<E> for ApiError {
    fn from(e: E) -> Self {
        ApiError(e.into())
    }
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// A stable machine-readable code: invalid, bad_request, not_found, unauthorized,
    /// forbidden, conflict, payment_required, too_many_requests, unavailable, internal.
    pub code: String,
    pub message: String,
    /// For `invalid`: each field and what is wrong with it.
    pub fields: Vec<FieldErrorBody>,
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct FieldErrorBody {
    pub field: String,
    pub message: String,
}

impl ErrorBody {
    pub fn of(f: &Failure) -> ErrorBody {
        ErrorBody {
            error: ErrorDetail {
                code: f.code().to_string(),
                message: f.message(),
                fields: f
                    .fields()
                    .iter()
                    .map(|e| FieldErrorBody {
                        field: e.field.to_string(),
                        message: e.message.clone(),
                    })
                    .collect(),
            },
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let f = self.0;
        f.log();
        let body = ErrorBody::of(&f);
        let mut response = (f.status_code(), axum::Json(body)).into_response();
        if let Failure::TooMany {
            retry_after_secs, ..
        } = f
        {
            response.headers_mut().insert(
                header::RETRY_AFTER,
                retry_after_secs
                    .to_string()
                    .parse()
                    .expect("digits are a valid header"),
            );
        }
        response
    }
}

/// A failure answered as an HTML page.
#[derive(Debug)]
pub struct PageError(pub Failure);

impl<E: Into<Failure>> From<E> for PageError {
    fn from(e: E) -> Self {
        PageError(e.into())
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let f = self.0;
        f.log();
        let status = f.status_code();
        if let Failure::Unauthorized(_) = f {
            return axum::response::Redirect::to("/signin").into_response();
        }
        let page = crate::pages::ErrorPage {
            chrome: crate::views::Chrome::bare(),
            status: status.as_u16(),
            title: status.canonical_reason().unwrap_or("Error").to_string(),
            message: f.message(),
        };
        let mut response = (status, crate::pages::render(&page)).into_response();
        if let Failure::TooMany {
            retry_after_secs, ..
        } = f
        {
            response.headers_mut().insert(
                header::RETRY_AFTER,
                retry_after_secs
                    .to_string()
                    .parse()
                    .expect("digits are a valid header"),
            );
        }
        response
    }
}

/// Unknown paths: JSON under `/api`, a page elsewhere.
pub async fn fallback(uri: Uri) -> Response {
    let failure = Failure::NotFound(format!("no page at {}", uri.path()));
    if uri.path().starts_with("/api/") {
        ApiError(failure).into_response()
    } else {
        PageError(failure).into_response()
    }
}
