//! FCM HTTP v1: an OAuth access token from the service account (a JWT-bearer grant signed
//! RS256, cached until shortly before it expires), then one `messages:send` per device.

use std::time::Duration;

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tokio::sync::Mutex;

use crate::config::PushSettings;
use crate::domain::Timestamp;
use crate::error::{Error, Result};

const SCOPE: &str = "https://www.googleapis.com/auth/firebase.messaging";
const TIMEOUT: Duration = Duration::from_secs(10);
/// A cached access token is renewed this long before it expires.
const RENEW_EARLY_MS: i64 = 60_000;

/// The fields of a Google service-account JSON file that push uses.
#[derive(Clone, Deserialize)]
pub struct ServiceAccount {
    pub project_id: String,
    pub client_email: String,
    pub private_key: String,
    #[serde(default)]
    pub private_key_id: Option<String>,
    pub token_uri: String,
}

impl std::fmt::Debug for ServiceAccount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServiceAccount")
            .field("project_id", &self.project_id)
            .field("client_email", &self.client_email)
            .finish_non_exhaustive()
    }
}

#[derive(Serialize)]
struct Assertion<'a> {
    iss: &'a str,
    scope: &'a str,
    aud: &'a str,
    iat: i64,
    exp: i64,
}

#[derive(Deserialize)]
struct Grant {
    access_token: String,
    expires_in: i64,
}

/// How a send went.
pub enum Sent {
    Delivered,
    /// FCM no longer knows the device: its token is dropped.
    Unregistered,
    /// Worth trying again later.
    Retry(String),
    /// Will not work however often it is tried.
    Refused(String),
}

pub struct Fcm {
    account: ServiceAccount,
    key: EncodingKey,
    endpoint: String,
    client: reqwest::Client,
    token: Mutex<Option<(String, Timestamp)>>,
}

impl Fcm {
    pub fn new(settings: &PushSettings) -> Result<Self> {
        let raw = std::fs::read_to_string(&settings.service_account_file)
            .map_err(|e| Error::internal_from("FCM_SERVICE_ACCOUNT_FILE", e))?;
        let account: ServiceAccount = serde_json::from_str(&raw).map_err(|e| {
            Error::internal_from("FCM_SERVICE_ACCOUNT_FILE is not a service account", e)
        })?;
        let key = EncodingKey::from_rsa_pem(account.private_key.as_bytes())
            .map_err(|e| Error::internal_from("FCM_SERVICE_ACCOUNT_FILE private_key", e))?;
        let endpoint = settings.endpoint.clone().unwrap_or_else(|| {
            format!(
                "https://fcm.googleapis.com/v1/projects/{}/messages:send",
                account.project_id
            )
        });
        let client = reqwest::Client::builder()
            .timeout(TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| Error::internal_from("push client", e))?;
        Ok(Fcm {
            account,
            key,
            endpoint,
            client,
            token: Mutex::new(None),
        })
    }

    /// A valid access token: the cached one, or a new one from the account's `token_uri`.
    async fn access_token(&self, now: Timestamp) -> std::result::Result<String, String> {
        let mut cached = self.token.lock().await;
        if let Some((token, expires)) = cached.as_ref()
            && now.0 < expires.0 - RENEW_EARLY_MS
        {
            return Ok(token.clone());
        }
        let iat = now.0.div_euclid(1000);
        let mut header = Header::new(Algorithm::RS256);
        header.kid = self.account.private_key_id.clone();
        let claims = Assertion {
            iss: &self.account.client_email,
            scope: SCOPE,
            aud: &self.account.token_uri,
            iat,
            exp: iat + 3600,
        };
        let assertion = jsonwebtoken::encode(&header, &claims, &self.key)
            .map_err(|e| format!("signing the token request failed: {e}"))?;
        let response = self
            .client
            .post(&self.account.token_uri)
            .form(&[
                ("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"),
                ("assertion", assertion.as_str()),
            ])
            .send()
            .await
            .map_err(|e| format!("the token request failed: {e}"))?;
        if !response.status().is_success() {
            return Err(format!(
                "the token request was answered {}",
                response.status()
            ));
        }
        let grant: Grant = response
            .json()
            .await
            .map_err(|e| format!("the token answer is unreadable: {e}"))?;
        *cached = Some((
            grant.access_token.clone(),
            Timestamp(now.0 + grant.expires_in.max(0) * 1000),
        ));
        Ok(grant.access_token)
    }

    async fn forget_token(&self) {
        *self.token.lock().await = None;
    }

    /// Sends one notification to one device.
    pub async fn send(
        &self,
        now: Timestamp,
        device: &str,
        title: &str,
        body: &str,
        data: &[(&str, &str)],
    ) -> Sent {
        let token = match self.access_token(now).await {
            Ok(t) => t,
            Err(why) => return Sent::Retry(why),
        };
        let data: serde_json::Map<String, Value> = data
            .iter()
            .map(|(k, v)| ((*k).to_string(), Value::from(*v)))
            .collect();
        let message = json!({
            "message": {
                "token": device,
                "notification": { "title": title, "body": body },
                "data": data,
            }
        });
        let response = match self
            .client
            .post(&self.endpoint)
            .bearer_auth(token)
            .json(&message)
            .send()
            .await
        {
            Ok(r) => r,
            Err(e) => return Sent::Retry(format!("FCM could not be reached: {e}")),
        };
        let status = response.status();
        if status.is_success() {
            return Sent::Delivered;
        }
        let answer: Value = response.json().await.unwrap_or(Value::Null);
        if unregistered(&answer) || status == reqwest::StatusCode::NOT_FOUND {
            return Sent::Unregistered;
        }
        let why = format!("FCM answered {status}: {}", short(&answer));
        if status == reqwest::StatusCode::UNAUTHORIZED || status == reqwest::StatusCode::FORBIDDEN {
            self.forget_token().await;
            Sent::Retry(why)
        } else if status.is_server_error() || status == reqwest::StatusCode::TOO_MANY_REQUESTS {
            Sent::Retry(why)
        } else {
            Sent::Refused(why)
        }
    }
}

/// FCM's error for a token it no longer knows: `UNREGISTERED` in the error's details.
fn unregistered(answer: &Value) -> bool {
    let error = &answer["error"];
    error["status"] == "UNREGISTERED"
        || error["details"]
            .as_array()
            .is_some_and(|d| d.iter().any(|x| x["errorCode"] == "UNREGISTERED"))
}

fn short(answer: &Value) -> String {
    answer["error"]["message"]
        .as_str()
        .unwrap_or("")
        .chars()
        .take(300)
        .collect()
}
