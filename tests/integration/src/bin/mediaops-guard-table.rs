//! `mediaops-guard-table --endpoint URL --table NAME`: creates the guards' window table in a
//! local DynamoDB (DynamoDB Local), shaped exactly like `template.yaml`'s `GuardTable`. Used by
//! `scripts/demo`; in AWS the stack creates the table.

use mediaops_integration_tests::dynamo::create_table_named;

fn usage() -> ! {
    eprintln!("usage: mediaops-guard-table --endpoint URL --table NAME");
    std::process::exit(2)
}

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let (mut endpoint, mut table) = (None, None);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--endpoint" => endpoint = args.next(),
            "--table" => table = args.next(),
            _ => usage(),
        }
    }
    let (Some(endpoint), Some(table)) = (endpoint, table) else {
        usage()
    };
    let sdk = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_dynamodb::config::Credentials::new(
            "demo", "demo", None, None, "demo",
        ))
        .endpoint_url(&endpoint)
        .load()
        .await;
    let client = aws_sdk_dynamodb::Client::new(&sdk);
    match create_table_named(&client, &table).await {
        Ok(()) => println!("created table {table} (GuardTable's key schema and TTL) at {endpoint}"),
        Err(e) => {
            eprintln!("mediaops-guard-table: {e}");
            std::process::exit(1)
        }
    }
}
