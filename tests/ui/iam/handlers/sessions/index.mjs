// The handler of `grant-narrower-than-code.rs` and `grant-unused.rs`:
// one update of an item of the table `SESSIONS_TABLE` names.
import { DynamoDBClient, UpdateItemCommand } from "@aws-sdk/client-dynamodb";

const dynamodb = new DynamoDBClient({});

export async function handler(event) {
  await dynamodb.send(
    new UpdateItemCommand({
      TableName: process.env.SESSIONS_TABLE,
      Key: { session_id: { S: event.sessionId } },
      UpdateExpression: "ADD orders :one",
      ExpressionAttributeValues: { ":one": { N: "1" } },
    }),
  );
}
