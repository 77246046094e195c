//! Submitting arrangement parts, and checking their status: each organisation receives only its
//! own part, after the citizen logs in there with scope `arrangement:submit`. Receipts and
//! statuses are JWS signed by the organisation and checked against the pinned keys.

use schemas::arrangement::{ArrangementReceipt, ArrangementStatus};
use tokio::sync::mpsc::UnboundedSender;

use bounded_http as body;
use crate::error::{FetchError, Problem};
use crate::fetch::{Chain, FetchOptions, Organisation, Progress, Stage, Login, authorize, http_client, read_problem, reported};
use crate::login::LoginDriver;

pub use pod_core::answer::{RECEIPT_TYP, STATUS_TYP};

/// A part the organisation received, with its verified receipt.
#[derive(Clone, Debug)]
pub struct Submitted {
    /// The organisation.
    pub org: String,
    /// The verified receipt.
    pub receipt: ArrangementReceipt,
    /// The receipt as signed, to keep as proof.
    pub receipt_jws: String,
}

/// A verified status.
#[derive(Clone, Debug)]
pub struct StatusReport {
    /// The organisation.
    pub org: String,
    /// The verified status.
    pub status: ArrangementStatus,
    /// As signed.
    pub status_jws: String,
}

fn report_to(progress: &Option<UnboundedSender<Progress>>) -> impl Fn(&str, Stage) + Sync + '_ {
    move |org: &str, stage: Stage| {
        if let Some(sender) = progress {
            let _ = sender.send(Progress {
                org: org.to_owned(),
                stage,
            });
        }
    }
}

/// Runs the organisations' parts all at once, or, `in_turn`, one after another as one chain of
/// logins (the next login starts only when the previous part is done).
async fn in_order<F: std::future::Future>(jobs: impl Iterator<Item = F>, in_turn: bool) -> Vec<F::Output> {
    if in_turn {
        let mut done = Vec::new();
        for job in jobs {
            done.push(job.await);
        }
        done
    } else {
        futures_util::future::join_all(jobs).await
    }
}

/// Submits each organisation's part (the exact bytes given): concurrently, or `in_turn` as one
/// chain of logins, where every login after the first that succeeds is asked without a login
/// page (as a fetch's chain is). One failure leaves the others submitted. Results come back in
/// the order of `parts`.
pub async fn submit_parts<D: LoginDriver>(
    parts: &[(Organisation, Vec<u8>)],
    driver: &D,
    options: &FetchOptions,
    progress: Option<UnboundedSender<Progress>>,
    in_turn: bool,
) -> Vec<Result<Submitted, FetchError>> {
    let http = http_client(options);
    let report = report_to(&progress);
    let chain = in_turn.then(|| std::sync::Arc::new(Chain::default()));
    let jobs = parts.iter().map(|(org, bytes)| {
        let (http, report, chain) = (&http, &report, chain.clone());
        async move {
            let result = async {
                let login = Login { driver, chain: chain.as_deref() };
                let token = authorize(org, "arrangement:submit", &login, options, http, report).await?;
                let send = http
                    .post(org.arrangements_endpoint.clone())
                    .bearer_auth(&token)
                    .header("content-type", "application/json")
                    .body(bytes.clone());
                let answer = body::exchange(send, RECEIPT, options.network_timeout).await.map_err(read_problem)?;
                if answer.status.as_u16() != 201 {
                    return Err(Problem::Server(answer.status.as_u16(), answer.detail()));
                }
                report(org.id.as_str(), Stage::Verifying);
                let jws = signed_text(answer.body)?;
                let receipt = pod_core::answer::verify_receipt(org, &jws, bytes, chrono::Utc::now())?;
                Ok(Submitted {
                    org: org.id.to_string(),
                    receipt,
                    receipt_jws: jws,
                })
            }
            .await;
            reported(org, result, report)
        }
    });
    in_order(jobs, in_turn).await
}

/// Asks each organisation for the signed status of a submitted part (the citizen logs in again:
/// there are no refresh tokens), at once or `in_turn` as for [`submit_parts`].
pub async fn check_status<D: LoginDriver>(
    receipts: &[(Organisation, String)],
    driver: &D,
    options: &FetchOptions,
    progress: Option<UnboundedSender<Progress>>,
    in_turn: bool,
) -> Vec<Result<StatusReport, FetchError>> {
    let http = http_client(options);
    let report = report_to(&progress);
    let chain = in_turn.then(|| std::sync::Arc::new(Chain::default()));
    let jobs = receipts.iter().map(|(org, receipt_id)| {
        let (http, report, chain) = (&http, &report, chain.clone());
        async move {
            let result = async {
                let login = Login { driver, chain: chain.as_deref() };
                let token = authorize(org, "arrangement:submit", &login, options, http, report).await?;
                let url = format!(
                    "{}/{receipt_id}",
                    org.arrangements_endpoint.as_str().trim_end_matches('/')
                );
                let answer = body::exchange(http.get(url).bearer_auth(&token), STATUS, options.network_timeout)
                    .await
                    .map_err(read_problem)?;
                if !answer.status.is_success() {
                    return Err(Problem::Server(answer.status.as_u16(), answer.detail()));
                }
                let jws = signed_text(answer.body)?;
                let status = pod_core::answer::verify_status(org, &jws, receipt_id, chrono::Utc::now())?;
                Ok(StatusReport {
                    org: org.id.to_string(),
                    status,
                    status_jws: jws,
                })
            }
            .await;
            reported(org, result, report)
        }
    });
    in_order(jobs, in_turn).await
}

const RECEIPT: body::Limit = body::Limit {
    what: "its receipt",
    bytes: body::MAX_SIGNED_BYTES,
};
const STATUS: body::Limit = body::Limit {
    what: "its status",
    bytes: body::MAX_SIGNED_BYTES,
};

/// A signed answer is a compact JWS: ASCII text.
fn signed_text(body: Vec<u8>) -> Result<String, Problem> {
    String::from_utf8(body).map_err(|_| Problem::BadSignature)
}
