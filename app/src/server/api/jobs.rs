//! `POST /api/v1/jobs/{jobId}`: a plugin finishes a Run it accepted with 202 (DESIGN.md §6).
//! Only the installation the job was sent to can finish it, once, before its deadline.

use super::auth::Caller;
use super::error::{ApiError, ErrorBody};
use super::extract::ApiJson;
use crate::domain::{JobId, JobStatus};
use crate::server::plugin_servers::jobs::{self, CompleteError, Completion, Job};
use crate::server::{now, AppState};
use axum::extract::{Extension, Path, State};
use axum::Json;
use serde::{Deserialize, Serialize};

const MAX_ERROR_CHARS: usize = 500;

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
enum Outcome {
    Done,
    Failed,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CompleteJob {
    /// `done` with a `result`, or `failed` with an `error`.
    status: Outcome,
    /// With `done`: the answer, an object. Its string `message`, if any, is what people see.
    #[schema(value_type = Option<Object>)]
    result: Option<serde_json::Value>,
    /// With `failed`: what went wrong, for people (1 to 500 characters).
    #[schema(min_length = 1, max_length = 500)]
    error: Option<String>,
}

/// A Run as the plugin sees it.
#[derive(Serialize, utoipa::ToSchema)]
pub struct JobBody {
    #[schema(value_type = String)]
    id: JobId,
    status: JobStatus,
    #[schema(value_type = Option<Object>)]
    result: Option<serde_json::Value>,
    error: Option<String>,
    /// Unix seconds.
    created_at: i64,
    /// After it, an unfinished job has timed out.
    deadline_at: i64,
    finished_at: Option<i64>,
}

impl From<Job> for JobBody {
    fn from(job: Job) -> Self {
        Self {
            id: job.id,
            status: job.status,
            result: job.result,
            error: job.error,
            created_at: job.created_at,
            deadline_at: job.deadline_at,
            finished_at: job.finished_at,
        }
    }
}

fn completion(body: CompleteJob) -> Result<Completion, ApiError> {
    match (body.status, body.result, body.error) {
        (Outcome::Done, _, Some(_)) => Err(ApiError::Invalid { field: "error".into(), message: "goes only with status failed".into() }),
        (Outcome::Done, Some(result), None) if !result.is_object() && !result.is_null() => {
            Err(ApiError::bad_request(Some("result".into()), "result must be an object"))
        }
        (Outcome::Done, result, None) => Ok(Completion::Done(result.unwrap_or(serde_json::Value::Null))),
        (Outcome::Failed, Some(_), _) => Err(ApiError::Invalid { field: "result".into(), message: "goes only with status done".into() }),
        (Outcome::Failed, None, error) => {
            let error = error.map(|e| e.trim().to_owned()).unwrap_or_default();
            let length = error.chars().count();
            if length == 0 || length > MAX_ERROR_CHARS || error.chars().any(char::is_control) {
                return Err(ApiError::Invalid { field: "error".into(), message: "must say what went wrong in 1 to 500 characters, on one line".into() });
            }
            Ok(Completion::Failed(error))
        }
    }
}

/// Finishes a job the plugin accepted: `done` with its result, or `failed` with why.
#[utoipa::path(post, path = "/jobs/{id}", tag = "jobs", security(("bearer" = [])), params(("id" = String, Path, description = "The `jobId` Plugboard sent with the content")),
    request_body = CompleteJob,
    responses((status = 200, body = JobBody), (status = 404, body = ErrorBody, description = "No job of this installation has this id."),
        (status = 409, body = ErrorBody, description = "The job is already finished, or timed out.")))]
pub async fn complete_job(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<JobId>,
    ApiJson(body): ApiJson<CompleteJob>,
) -> Result<Json<JobBody>, ApiError> {
    let completion = completion(body)?;
    match jobs::complete(&state.db, &caller.scope, &id, &completion, now()).await {
        Ok(job) => Ok(Json(job.into())),
        Err(CompleteError::NotFound) => Err(ApiError::NotFound),
        Err(CompleteError::Finished(status)) => Err(ApiError::Conflict(format!("The job is already {}.", status.label().to_lowercase()))),
        Err(CompleteError::Db(e)) => Err(e.into()),
    }
}
