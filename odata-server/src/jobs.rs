//! The registry of asynchronous requests (`Prefer: respond-async`, OData Protocol §11.6):
//! which jobs exist, whose they are, and their final responses once done.
//!
//! The registry lives in the memory of one service instance ([`crate::app::AppState`]):
//! a status monitor is only known to the instance that accepted its request, and jobs do
//! not survive a restart (their monitors then answer 404). Behind a load balancer, route a
//! caller's `$async/…` requests to the instance that answered the 202.
//!
//! * A job belongs to the tenant and caller (principal) that sent the request; for anyone
//!   else its monitor does not exist.
//! * A finished job's response stays readable for the configured retention (at least the
//!   five minutes of the default) and is then purged. A running job is never purged.
//! * A tenant holds at most `max_async_jobs_per_tenant` jobs, running or finished and not
//!   yet purged; a further asynchronous request of the tenant is answered synchronously.
//! * Restoring a tenant's data ([`crate::action::ActionEffect::Restore`]) drops all its
//!   jobs ([`Jobs::drop_tenant`]): running ones are cancelled, and every monitor answers 404.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use actix_web::http::StatusCode;
use actix_web::http::header::HeaderMap;
use actix_web::web::Bytes;
use tokio::task::AbortHandle;

use crate::negotiation::ODataVersion;

/// The response an asynchronous request ended with.
#[derive(Debug, Clone)]
pub(crate) struct FinalResponse {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

/// What a status monitor shows.
#[derive(Debug, Clone)]
pub(crate) enum JobStatus {
    /// Still running.
    Running,
    /// Done: the final response, and the protocol version the request negotiated.
    Done(FinalResponse, ODataVersion),
}

/// Who may see a job: the tenant and the caller that sent its request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Owner {
    pub tenant: String,
    pub caller: String,
}

#[derive(Debug)]
struct Job {
    owner: Owner,
    version: ODataVersion,
    state: State,
}

#[derive(Debug)]
enum State {
    /// Running; the handle aborts its task (`None` until the task is spawned).
    Running(Option<AbortHandle>),
    Done {
        response: FinalResponse,
        at: Instant,
    },
}

/// The jobs of one service instance, keyed by their monitor id.
#[derive(Debug)]
pub(crate) struct Jobs {
    jobs: Mutex<HashMap<String, Job>>,
    per_tenant: usize,
    retention: Duration,
}

impl Jobs {
    /// An empty registry keeping at most `per_tenant` jobs per tenant, finished ones for
    /// `retention`.
    pub fn new(per_tenant: usize, retention: Duration) -> Self {
        Self {
            jobs: Mutex::new(HashMap::new()),
            per_tenant,
            retention,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Job>> {
        // A panic while holding the lock leaves the map consistent (every change is one
        // insert or remove), so a poisoned lock is still usable.
        self.jobs
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Registers a new running job of `owner` and returns its unguessable id; `None` when
    /// the tenant already holds as many jobs as allowed.
    pub fn start(&self, owner: Owner, version: ODataVersion) -> Option<String> {
        let mut jobs = self.lock();
        self.purge(&mut jobs);
        let held = jobs
            .values()
            .filter(|j| j.owner.tenant == owner.tenant)
            .count();
        if held >= self.per_tenant {
            return None;
        }
        // 122 random bits: a monitor URL cannot be guessed from another.
        let id = uuid::Uuid::new_v4().simple().to_string();
        jobs.insert(
            id.clone(),
            Job {
                owner,
                version,
                state: State::Running(None),
            },
        );
        Some(id)
    }

    /// Gives the running job `id` the handle that cancels it; a job cancelled or dropped
    /// before it got its handle is aborted right away.
    pub fn attach(&self, id: &str, handle: AbortHandle) {
        let mut jobs = self.lock();
        match jobs.get_mut(id) {
            Some(Job {
                state: State::Running(slot),
                ..
            }) => *slot = Some(handle),
            Some(_) => {}
            None => handle.abort(),
        }
    }

    /// Records the final response of job `id` (nothing when it was cancelled meanwhile).
    pub fn finish(&self, id: &str, response: FinalResponse) {
        let mut jobs = self.lock();
        if let Some(job) = jobs.get_mut(id)
            && matches!(job.state, State::Running(_))
        {
            job.state = State::Done {
                response,
                at: Instant::now(),
            };
        }
    }

    /// The status of job `id` as `owner` may see it: `None` when there is no such job of
    /// theirs (never created, cancelled, dropped, purged, or someone else's).
    pub fn status(&self, id: &str, owner: &Owner) -> Option<JobStatus> {
        let mut jobs = self.lock();
        self.purge(&mut jobs);
        let job = jobs.get(id).filter(|j| &j.owner == owner)?;
        Some(match &job.state {
            State::Running(_) => JobStatus::Running,
            State::Done { response, .. } => JobStatus::Done(response.clone(), job.version),
        })
    }

    /// Removes job `id` of `owner`, aborting it if it still runs; false when there is no
    /// such job of theirs.
    pub fn cancel(&self, id: &str, owner: &Owner) -> bool {
        let mut jobs = self.lock();
        if !jobs.get(id).is_some_and(|j| &j.owner == owner) {
            return false;
        }
        if let Some(job) = jobs.remove(id) {
            abort(job);
        }
        true
    }

    /// Removes every job of `tenant` but `keep` (the job doing the removing, if any),
    /// aborting those still running.
    pub fn drop_tenant(&self, tenant: &str, keep: Option<&str>) {
        let mut jobs = self.lock();
        let dropped: Vec<String> = jobs
            .iter()
            .filter(|(id, job)| job.owner.tenant == tenant && Some(id.as_str()) != keep)
            .map(|(id, _)| id.clone())
            .collect();
        for id in dropped {
            if let Some(job) = jobs.remove(&id) {
                abort(job);
            }
        }
    }

    /// Removes the finished jobs older than the retention.
    fn purge(&self, jobs: &mut HashMap<String, Job>) {
        let retention = self.retention;
        jobs.retain(|_, job| match &job.state {
            State::Running(_) => true,
            State::Done { at, .. } => at.elapsed() < retention,
        });
    }
}

fn abort(job: Job) {
    if let State::Running(Some(handle)) = job.state {
        handle.abort();
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn owner(tenant: &str, caller: &str) -> Owner {
        Owner {
            tenant: tenant.into(),
            caller: caller.into(),
        }
    }

    fn done() -> FinalResponse {
        FinalResponse {
            status: StatusCode::OK,
            headers: HeaderMap::new(),
            body: Bytes::from_static(b"{}"),
        }
    }

    #[test]
    fn a_job_is_seen_by_its_owner_only() {
        let jobs = Jobs::new(10, Duration::from_secs(60));
        let a = owner("t1", "alice");
        let id = jobs.start(a.clone(), ODataVersion::V4_01).unwrap();
        assert!(matches!(jobs.status(&id, &a), Some(JobStatus::Running)));
        assert!(jobs.status(&id, &owner("t1", "bob")).is_none());
        assert!(jobs.status(&id, &owner("t2", "alice")).is_none());
        assert!(!jobs.cancel(&id, &owner("t2", "alice")));
        jobs.finish(&id, done());
        assert!(matches!(
            jobs.status(&id, &a),
            Some(JobStatus::Done(r, ODataVersion::V4_01)) if r.status == StatusCode::OK
        ));
        assert!(jobs.cancel(&id, &a));
        assert!(jobs.status(&id, &a).is_none());
    }

    #[test]
    fn ids_are_distinct_and_long() {
        let jobs = Jobs::new(10, Duration::from_secs(60));
        let a = owner("t", "c");
        let first = jobs.start(a.clone(), ODataVersion::V4_01).unwrap();
        let second = jobs.start(a, ODataVersion::V4_01).unwrap();
        assert_ne!(first, second);
        assert_eq!(first.len(), 32);
    }

    #[test]
    fn a_tenant_holds_a_bounded_number_of_jobs() {
        let jobs = Jobs::new(2, Duration::from_secs(60));
        let a = owner("t1", "c");
        let first = jobs.start(a.clone(), ODataVersion::V4_01).unwrap();
        jobs.start(a.clone(), ODataVersion::V4_01).unwrap();
        assert!(jobs.start(a.clone(), ODataVersion::V4_01).is_none());
        // Finished jobs count until purged; other tenants are not affected.
        jobs.finish(&first, done());
        assert!(jobs.start(a.clone(), ODataVersion::V4_01).is_none());
        assert!(jobs.start(owner("t2", "c"), ODataVersion::V4_01).is_some());
        assert!(jobs.cancel(&first, &a));
        assert!(jobs.start(a, ODataVersion::V4_01).is_some());
    }

    #[test]
    fn finished_jobs_are_purged_after_the_retention_running_ones_never() {
        let jobs = Jobs::new(10, Duration::ZERO);
        let a = owner("t", "c");
        let finished = jobs.start(a.clone(), ODataVersion::V4_0).unwrap();
        let running = jobs.start(a.clone(), ODataVersion::V4_0).unwrap();
        jobs.finish(&finished, done());
        assert!(jobs.status(&finished, &a).is_none());
        assert!(matches!(
            jobs.status(&running, &a),
            Some(JobStatus::Running)
        ));
    }

    #[test]
    fn dropping_a_tenant_keeps_the_dropping_job_and_other_tenants() {
        let jobs = Jobs::new(10, Duration::from_secs(60));
        let (a, b) = (owner("t1", "c"), owner("t2", "c"));
        let old = jobs.start(a.clone(), ODataVersion::V4_01).unwrap();
        jobs.finish(&old, done());
        let running = jobs.start(a.clone(), ODataVersion::V4_01).unwrap();
        let own = jobs.start(a.clone(), ODataVersion::V4_01).unwrap();
        let other = jobs.start(b.clone(), ODataVersion::V4_01).unwrap();
        jobs.drop_tenant("t1", Some(&own));
        assert!(jobs.status(&old, &a).is_none());
        assert!(jobs.status(&running, &a).is_none());
        assert!(jobs.status(&own, &a).is_some());
        assert!(jobs.status(&other, &b).is_some());
        // A job dropped before its task got its handle: the handle is not kept.
        jobs.finish(&running, done());
        assert!(jobs.status(&running, &a).is_none());
    }
}
