//! EventBridge and SQS on the process's moto server ([`crate::secrets_manager::endpoint`]):
//! a bus whose rule sends every Leadflow event to a queue, and reading a queue dry.

use std::time::{Duration, Instant};

use aws_sdk_eventbridge::types::Target;

const REGION: &str = "eu-central-1";

fn credentials() -> aws_sdk_sqs::config::Credentials {
    aws_sdk_sqs::config::Credentials::new("local", "local", None, None, "leadflow-tests")
}

/// An EventBridge client for the local server.
pub fn eventbridge() -> aws_sdk_eventbridge::Client {
    let config = aws_sdk_eventbridge::Config::builder()
        .behavior_version(aws_sdk_eventbridge::config::BehaviorVersion::latest())
        .region(aws_sdk_eventbridge::config::Region::new(REGION))
        .credentials_provider(credentials())
        .endpoint_url(crate::secrets_manager::endpoint())
        .http_client(leadflow::wiring::tls::https_client())
        .build();
    aws_sdk_eventbridge::Client::from_conf(config)
}

/// An SQS client for the local server.
pub fn sqs() -> aws_sdk_sqs::Client {
    let config = aws_sdk_sqs::Config::builder()
        .behavior_version(aws_sdk_sqs::config::BehaviorVersion::latest())
        .region(aws_sdk_sqs::config::Region::new(REGION))
        .credentials_provider(credentials())
        .endpoint_url(crate::secrets_manager::endpoint())
        .http_client(leadflow::wiring::tls::https_client())
        .build();
    aws_sdk_sqs::Client::from_conf(config)
}

/// A queue's ARN.
pub async fn queue_arn(url: &str) -> String {
    let attrs = sqs()
        .get_queue_attributes()
        .queue_url(url)
        .attribute_names(aws_sdk_sqs::types::QueueAttributeName::QueueArn)
        .send()
        .await
        .expect("the queue's attributes");
    attrs
        .attributes()
        .and_then(|a| a.get(&aws_sdk_sqs::types::QueueAttributeName::QueueArn))
        .cloned()
        .expect("QueueArn")
}

/// A new bus with a rule that sends every event of source `leadflow` to a new queue:
/// the bus's name and the queue's URL.
pub async fn bus_into_queue(name: &str) -> (String, String) {
    let name = format!("{name}-{}-{}", std::process::id(), crate::unique_table());
    let events = eventbridge();
    events.create_event_bus().name(&name).send().await.expect("creating a bus");
    let queue = sqs().create_queue().queue_name(&name).send().await.expect("creating a queue");
    let url = queue.queue_url().expect("a queue URL").to_owned();
    events
        .put_rule()
        .name(&name)
        .event_bus_name(&name)
        .event_pattern(r#"{"source": ["leadflow"]}"#)
        .send()
        .await
        .expect("creating a rule");
    events
        .put_targets()
        .rule(&name)
        .event_bus_name(&name)
        .targets(Target::builder().id("queue").arn(queue_arn(&url).await).build().expect("a target"))
        .send()
        .await
        .expect("the rule's target");
    (name, url)
}

/// Every message a queue holds (received and deleted), bodies as JSON.
pub async fn drain_queue(url: &str) -> Vec<serde_json::Value> {
    let mut out = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        let got = sqs()
            .receive_message()
            .queue_url(url)
            .max_number_of_messages(10)
            .send()
            .await
            .expect("receiving messages");
        let messages = got.messages();
        if messages.is_empty() {
            return out;
        }
        for m in messages {
            out.push(serde_json::from_str(m.body().unwrap_or_default()).expect("a JSON message"));
            sqs()
                .delete_message()
                .queue_url(url)
                .receipt_handle(m.receipt_handle().unwrap_or_default())
                .send()
                .await
                .expect("deleting a message");
        }
    }
    panic!("the queue did not run dry within 10 s");
}

/// A new FIFO queue whose redrive policy moves a message to a new FIFO dead-letter queue
/// after `max_receive_count` receives: the queue's URL and the dead letters' URL.
pub async fn fifo_queue_with_dead_letters(name: &str, max_receive_count: u32) -> (String, String) {
    use aws_sdk_sqs::types::QueueAttributeName as A;
    let name = format!("{name}-{}-{}", std::process::id(), crate::unique_table());
    let dead = sqs()
        .create_queue()
        .queue_name(format!("{name}-dead.fifo"))
        .attributes(A::FifoQueue, "true")
        .send()
        .await
        .expect("creating the dead-letter queue");
    let dead_url = dead.queue_url().expect("a queue URL").to_owned();
    let redrive = serde_json::json!({
        "deadLetterTargetArn": queue_arn(&dead_url).await,
        "maxReceiveCount": max_receive_count,
    });
    let queue = sqs()
        .create_queue()
        .queue_name(format!("{name}.fifo"))
        .attributes(A::FifoQueue, "true")
        .attributes(A::VisibilityTimeout, "600")
        .attributes(A::RedrivePolicy, redrive.to_string())
        .send()
        .await
        .expect("creating the queue");
    (queue.queue_url().expect("a queue URL").to_owned(), dead_url)
}

/// Receives at most one message and hands it over as Lambda's SQS event source mapping
/// does: an `SqsEvent` JSON with one record (system attributes, `eventSource`,
/// `eventSourceARN`). `None`: nothing visible now.
pub async fn receive_as_lambda_event(url: &str) -> Option<serde_json::Value> {
    let got = sqs()
        .receive_message()
        .queue_url(url)
        .max_number_of_messages(1)
        .message_system_attribute_names(aws_sdk_sqs::types::MessageSystemAttributeName::All)
        .send()
        .await
        .expect("receiving a message");
    let m = got.messages().first()?;
    let attributes: serde_json::Map<String, serde_json::Value> = m
        .attributes()
        .map(|a| a.iter().map(|(k, v)| (k.as_str().to_owned(), serde_json::json!(v))).collect())
        .unwrap_or_default();
    Some(serde_json::json!({ "Records": [{
        "messageId": m.message_id(),
        "receiptHandle": m.receipt_handle(),
        "body": m.body(),
        "attributes": attributes,
        "messageAttributes": {},
        "md5OfBody": m.md5_of_body(),
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn(url).await,
        "awsRegion": REGION,
    }]}))
}

/// Deletes a message by its receipt handle (what the event source mapping does with a
/// message the function did not report failed).
pub async fn delete(url: &str, receipt_handle: &str) {
    sqs()
        .delete_message()
        .queue_url(url)
        .receipt_handle(receipt_handle)
        .send()
        .await
        .expect("deleting a message");
}

/// Messages in the queue, visible or not.
pub async fn messages_held(url: &str) -> u64 {
    use aws_sdk_sqs::types::QueueAttributeName as A;
    let attrs = sqs()
        .get_queue_attributes()
        .queue_url(url)
        .attribute_names(A::ApproximateNumberOfMessages)
        .attribute_names(A::ApproximateNumberOfMessagesNotVisible)
        .send()
        .await
        .expect("the queue's attributes");
    let attrs = attrs.attributes().cloned().unwrap_or_default();
    [A::ApproximateNumberOfMessages, A::ApproximateNumberOfMessagesNotVisible]
        .iter()
        .map(|a| attrs.get(a).and_then(|n| n.parse::<u64>().ok()).unwrap_or(0))
        .sum()
}
