//! A plugin's webhook endpoint on 127.0.0.1:0 that records what it receives and
//! answers as a test tells it to (a status per attempt, a delay, or hanging).

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::Router;
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct Received {
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Received {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("JSON body")
    }

    pub fn header(&self, name: &str) -> String {
        self.headers[name].to_str().unwrap().to_owned()
    }
}

/// How to answer the n-th request (0-based): a status after a delay.
pub type Behaviour = Arc<dyn Fn(usize) -> (u16, Duration) + Send + Sync>;

#[derive(Clone)]
struct Shared {
    received: Arc<Mutex<Vec<Received>>>,
    behaviour: Behaviour,
}

pub struct Receiver {
    pub url: String,
    received: Arc<Mutex<Vec<Received>>>,
}

impl Receiver {
    pub async fn start(behaviour: impl Fn(usize) -> (u16, Duration) + Send + Sync + 'static) -> Self {
        let shared = Shared { received: Arc::default(), behaviour: Arc::new(behaviour) };
        let received = shared.received.clone();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/webhooks", listener.local_addr().unwrap());
        let router = Router::new().route("/webhooks", post(handle)).with_state(shared);
        tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        });
        Self { url, received }
    }

    pub async fn always(status: u16) -> Self {
        Self::start(move |_| (status, Duration::ZERO)).await
    }

    pub fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    /// Waits (up to 20 s) until `n` requests have arrived.
    pub async fn wait_for(&self, n: usize) -> Vec<Received> {
        for _ in 0..400 {
            let got = self.received();
            if got.len() >= n {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("expected {n} webhook requests, got {}", self.received().len());
    }
}

async fn handle(State(shared): State<Shared>, headers: HeaderMap, body: Bytes) -> (StatusCode, &'static str) {
    let n = {
        let mut received = shared.received.lock().unwrap();
        received.push(Received { headers, body });
        received.len() - 1
    };
    let (status, delay) = (shared.behaviour)(n);
    tokio::time::sleep(delay).await;
    (StatusCode::from_u16(status).unwrap(), "receiver says hello")
}
