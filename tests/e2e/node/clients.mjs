// Streams fixtures through the proxy with a real Node client and prints what it read, as one JSON object.
//
//   node clients.mjs openai <baseURL> '<cases JSON>'   the openai npm SDK, chat.completions.create({stream: true})
//   node clients.mjs ai <baseURL> '<cases JSON>'       the Vercel AI SDK: streamText with @ai-sdk/openai's chat model
//
// <cases JSON>: [{"model": "anthropic/tool-use", "tools": ["get_weather"]}, ...]; the tools are declared to the AI SDK
// (without execute) so that it reports their calls. Output: {"<model>": {text, reasoning, toolCalls, finishReason,
// usage, error}, ...}.
import OpenAI from 'openai';
import { jsonSchema, streamText, tool } from 'ai';
import { createOpenAI } from '@ai-sdk/openai';

const [sdk, baseURL, casesJson] = process.argv.slice(2);
const cases = JSON.parse(casesJson);
const messages = [{ role: 'user', content: 'Hello' }];

function emptyResult() {
  return { text: '', reasoning: '', toolCalls: [], finishReason: null, usage: null, error: null };
}

async function viaOpenAI(model) {
  const client = new OpenAI({ baseURL, apiKey: 'e2e', maxRetries: 0, timeout: 30_000 });
  const out = emptyResult();
  try {
    const stream = await client.chat.completions.create({
      model,
      messages,
      stream: true,
      stream_options: { include_usage: true },
    });
    for await (const chunk of stream) {
      if (chunk.usage) out.usage = chunk.usage;
      for (const choice of chunk.choices) {
        if (choice.index !== 0) continue;
        const delta = choice.delta ?? {};
        if (delta.content) out.text += delta.content;
        if (delta.reasoning_content) out.reasoning += delta.reasoning_content;
        for (const call of delta.tool_calls ?? []) {
          out.toolCalls[call.index] ??= { id: null, name: '', arguments: '' };
          const entry = out.toolCalls[call.index];
          if (call.id) entry.id = call.id;
          if (call.function?.name) entry.name += call.function.name;
          if (call.function?.arguments) entry.arguments += call.function.arguments;
        }
        if (choice.finish_reason) out.finishReason = choice.finish_reason;
      }
    }
  } catch (err) {
    out.error = {
      name: err?.constructor?.name ?? typeof err,
      isAPIError: err instanceof OpenAI.APIError,
      message: String(err?.message ?? err),
      error: err?.error ?? null,
    };
  }
  return out;
}

async function viaAISDK(model, toolNames) {
  const provider = createOpenAI({ baseURL, apiKey: 'e2e' });
  const tools = Object.fromEntries(
    toolNames.map((name) => [name, tool({ description: name, inputSchema: jsonSchema({ type: 'object' }) })]),
  );
  const out = emptyResult();
  const result = streamText({ model: provider.chat(model), messages, tools, maxRetries: 0, onError: () => {} });
  for await (const part of result.fullStream) {
    switch (part.type) {
      case 'text-delta':
        out.text += part.text;
        break;
      case 'reasoning-delta':
        out.reasoning += part.text;
        break;
      case 'tool-call':
        out.toolCalls.push({ id: part.toolCallId, name: part.toolName, input: part.input });
        break;
      case 'finish':
        out.finishReason = part.finishReason;
        out.usage = part.totalUsage;
        break;
      case 'error': {
        const error = part.error;
        out.error = { name: error?.constructor?.name ?? typeof error, message: error?.message ?? JSON.stringify(error) };
        break;
      }
      default:
        break;
    }
  }
  return out;
}

const results = {};
for (const { model, tools } of cases) {
  results[model] = sdk === 'openai' ? await viaOpenAI(model) : await viaAISDK(model, tools ?? []);
}
process.stdout.write(JSON.stringify(results));
