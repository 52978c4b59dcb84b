//! An acknowledged upload survives `kill -9`: the built binary is killed while uploads stream
//! in, and every file that got a success answer can still be attached and reads back whole.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};

use crate::helpers::*;
use crate::process::{Server, call_ok};

const UPLOADERS: usize = 4;
/// The kill comes once this many uploads have been acknowledged, with every uploader going.
const ACKS_BEFORE_KILL: usize = 24;
const SESSION: &str = "chat_upload_crash";

/// A distinct PDF of about 100 KB: the same header, then bytes only this upload has.
fn pdf(uploader: usize, n: usize) -> Vec<u8> {
    let mut bytes = b"%PDF-1.4\n".to_vec();
    let mut state = (uploader as u64) << 32 | n as u64 | 1;
    for _ in 0..100_000 {
        // xorshift: cheap, repeatable filler that no two uploads share.
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        bytes.push(b'a' + (state % 26) as u8);
    }
    bytes.extend_from_slice(b"\n%%EOF\n");
    bytes
}

async fn upload(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    bytes: Vec<u8>,
    name: String,
) -> Result<(StatusCode, Value), reqwest::Error> {
    let form = Form::new()
        .text("sessionId", SESSION)
        .part("file", Part::bytes(bytes).file_name(name));
    let response = client
        .post(format!("{base}/api/chat/attachments"))
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await?;
    let status = response.status();
    Ok((status, response.json().await?))
}

/// An acknowledged upload: its id, the signed link its answer gave, and the bytes sent.
type Acked = (String, String, Vec<u8>);

#[tokio::test]
async fn every_acknowledged_upload_survives_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("uploads.db");
    let env = [
        ("RATE_LIMIT_MAX_REQUESTS", "1000000"),
        ("MAX_ATTACHMENTS_PER_SESSION", "100000"),
    ];
    let token = user_token_with(json!({ "sub": "crash_uploader", "exp": now_secs() + 3600 }));
    let client = reqwest::Client::new();
    let mut server = Server::start_with(&db, &env);
    call_ok(
        &client,
        reqwest::Method::POST,
        format!("{}/api/chat/session", server.base),
        &token,
        Some(json!({ "sessionId": SESSION })),
    )
    .await;

    let acked: Arc<Mutex<Vec<Acked>>> = Arc::default();
    let killed = Arc::new(AtomicBool::new(false));
    let (acks, mut ack_count) = tokio::sync::watch::channel(0usize);
    let acks = Arc::new(acks);
    let mut uploaders = Vec::new();
    for uploader in 0..UPLOADERS {
        let (client, base, token) = (client.clone(), server.base.clone(), token.clone());
        let (acked, killed, acks) = (acked.clone(), killed.clone(), acks.clone());
        uploaders.push(tokio::spawn(async move {
            for n in 0.. {
                let bytes = pdf(uploader, n);
                let name = format!("upload-{uploader}-{n}.pdf");
                let before_kill = !killed.load(Ordering::SeqCst);
                match upload(&client, &base, &token, bytes.clone(), name).await {
                    Ok((StatusCode::OK, body)) => {
                        let id = body["data"]["attachmentId"].as_str().unwrap().to_string();
                        let url = body["data"]["url"].as_str().unwrap().to_string();
                        acked.lock().unwrap().push((id, url, bytes));
                        acks.send_modify(|count| *count += 1);
                    }
                    Ok((status, body)) => panic!("upload refused with {status}: {body}"),
                    // Cut off by the kill (or sent after it): no answer, nothing promised.
                    Err(_) if before_kill || killed.load(Ordering::SeqCst) => return,
                    Err(e) => panic!("upload failed before the kill: {e}"),
                }
            }
        }));
    }
    within(
        "enough acknowledged uploads before the kill",
        ack_count.wait_for(|count| *count >= ACKS_BEFORE_KILL),
    )
    .await
    .unwrap();
    assert!(
        uploaders.iter().all(|u| !u.is_finished()),
        "every uploader is still uploading at the kill"
    );
    killed.store(true, Ordering::SeqCst);
    server.child.kill().expect("SIGKILL");
    server.child.wait().unwrap();
    for uploader in uploaders {
        within("an uploader notices the kill", uploader)
            .await
            .unwrap();
    }
    let acked = std::mem::take(&mut *acked.lock().unwrap());
    assert!(
        acked.len() >= ACKS_BEFORE_KILL,
        "{} acknowledged",
        acked.len()
    );

    // After the restart every acknowledged upload reads back byte for byte through the link
    // its answer gave, and can be sent.
    let server = Server::start_with(&db, &env);
    for (id, url, bytes) in &acked {
        let served = client
            .get(format!("{}{url}", server.base))
            .send()
            .await
            .unwrap();
        assert_eq!(served.status(), StatusCode::OK, "{id}");
        let served = served.bytes().await.unwrap();
        assert!(
            served == bytes.as_slice(),
            "{id} reads back as it was uploaded"
        );
    }
    for (n, batch) in acked.chunks(10).enumerate() {
        let ids: Vec<&str> = batch.iter().map(|(id, _, _)| id.as_str()).collect();
        let message_id = format!("msg_after_crash_{n}");
        let body = json!({ "sessionId": SESSION, "messageId": message_id, "attachments": ids });
        let sent = call_ok(
            &client,
            reqwest::Method::POST,
            format!("{}/api/chat/message", server.base),
            &token,
            Some(body),
        )
        .await;
        assert_eq!(sent["data"]["messageId"], message_id.as_str(), "{sent}");
        assert_eq!(sent["data"]["duplicate"], false, "{sent}");
    }
    let history = call_ok(
        &client,
        reqwest::Method::GET,
        format!("{}/api/chat/messages/{SESSION}?limit=100", server.base),
        &token,
        None,
    )
    .await;
    let shown: usize = history["data"]["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["attachments"].as_array().map_or(0, Vec::len))
        .sum();
    assert_eq!(shown, acked.len(), "{history}");
}
