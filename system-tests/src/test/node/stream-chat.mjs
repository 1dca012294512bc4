// Streams one chat completion from the gateway with the official OpenAI Node SDK and prints one JSON line per
// event, flushed as it comes, so OpenAiNodeSdkIT can act mid-stream:
//   {"models":[...]}                       the ids GET /v1/models lists (client.models.list())
//   {"text":"...","worker":"worker-a"}     each chunk with text, and the worker that produced it
//   {"done":true,"requestId":"..."}        the stream ended with data: [DONE]; the answer's x-request-id
// Usage: node stream-chat.mjs <baseURL> <prompt> <maxTokens>
import OpenAI from 'openai';

const [baseURL, prompt, maxTokens] = process.argv.slice(2);
const client = new OpenAI({ baseURL, apiKey: 'not-checked', maxRetries: 0 });
const print = (event) => process.stdout.write(JSON.stringify(event) + '\n');

const models = [];
for await (const model of client.models.list()) {
  models.push(model.id);
}
print({ models });

const { data: stream, request_id: requestId } = await client.chat.completions.create({
  model: 'stand-in',
  stream: true,
  max_tokens: Number(maxTokens),
  messages: [{ role: 'user', content: prompt }],
}).withResponse();
for await (const chunk of stream) {
  const text = chunk.choices[0]?.delta?.content;
  if (text) {
    print({ text, worker: chunk.x_connection_swap?.worker });
  }
}
print({ done: true, requestId });
