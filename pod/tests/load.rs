//! `pod serve` stays responsive while it fetches: 16 connections ask for the overview as fast as
//! they can for as long as a fetch from three organisations runs, and every answer is a 200.
//! The count and rate are printed (`LOAD pod serve ...`) for the closing note.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Instant;

mod common;

use common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_overview_answers_at_sixteen_connections_during_a_fetch() {
    let s = setup().await;
    unlock(&s).await;
    let running = Arc::new(AtomicBool::new(true));
    let (answered, failed) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let mut connections = Vec::new();
    for _ in 0..16 {
        let (client, url) = (s.client.clone(), format!("{}/api/overview", s.url));
        let (running, answered, failed) = (running.clone(), answered.clone(), failed.clone());
        connections.push(tokio::spawn(async move {
            while running.load(Ordering::Relaxed) {
                match client.get(&url).send().await {
                    Ok(answer) if answer.status() == 200 => {
                        answer.bytes().await.unwrap();
                        answered.fetch_add(1, Ordering::Relaxed);
                    }
                    Ok(answer) => {
                        eprintln!("overview answered {}", answer.status());
                        failed.fetch_add(1, Ordering::Relaxed);
                    }
                    Err(e) => {
                        eprintln!("overview failed: {e}");
                        failed.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
        }));
    }
    let started = Instant::now();
    let progress = fetch_everything(&s).await;
    let fetch_took = started.elapsed();
    running.store(false, Ordering::Relaxed);
    for connection in connections {
        connection.await.unwrap();
    }
    let stages: Vec<&str> = progress["organisations"].as_array().unwrap().iter().map(|o| o["stage"].as_str().unwrap()).collect();
    assert_eq!(stages, ["done", "done", "done"], "{progress}");
    let (answered, failed) = (answered.load(Ordering::Relaxed), failed.load(Ordering::Relaxed));
    println!(
        "LOAD pod serve: {answered} overviews at 16 connections during a {:.2} s fetch from 3 organisations ({:.0}/s), {failed} errors",
        fetch_took.as_secs_f64(),
        answered as f64 / fetch_took.as_secs_f64()
    );
    assert_eq!(failed, 0, "every overview request during the fetch was answered");
    assert!(answered >= 16, "the overview was asked for while the fetch ran");
}
