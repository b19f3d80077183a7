// Intercom's official Node SDK (intercom-client, pinned in package.json), unchanged and in its
// default configuration, through every Conversations operation inboxd serves, in the order a
// support conversation goes: tests/sdk/test_node_sdk.py runs it against a real `inboxd serve`.
//
//     INTERCOM_TOKEN=<token> node conversations.mjs <base URL>
//
// It prints ONE JSON object on stdout, for the Python test to assert on:
//   sdk        the version of the SDK that ran (node_modules/intercom-client/package.json)
//   seen       what each SDK call resolved to, by step name (a pager: the ids it yielded and the
//              number of requests it made)
//   errors     the errors the SDK raised where one is expected: class, status, body
//   exchanges  every HTTP exchange as it went over the wire: method, path, the Intercom-Version
//              the SDK sent, status, the response's JSON
//
// The client is built as a user would build it, `new IntercomClient({ token, baseUrl })`: no
// `version` (the SDK then sends its default, 2.14), no `fetch`, no headers. The exchanges are seen
// by wrapping `globalThis.fetch`, which the SDK looks up on every request
// (dist/cjs/core/fetcher/getFetchFn.js), the way the Python test hooks its httpx client.
//
// A step that fails unexpectedly ends the script with exit status 1 and says on stderr which step,
// what was sent and what came back; nothing is retried or worked around here.

import { createRequire } from "node:module";

import { Intercom, IntercomClient, IntercomError } from "intercom-client";

const require = createRequire(import.meta.url);
const SDK_VERSION = require("intercom-client/package.json").version;

const exchanges = [];
const wireFetch = globalThis.fetch;
globalThis.fetch = async (input, init = {}) => {
  const url = new URL(typeof input === "string" || input instanceof URL ? input : input.url);
  const sent = new Headers(init.headers);
  const response = await wireFetch(input, init);
  exchanges.push({
    method: init.method ?? "GET",
    path: url.pathname + url.search,
    version: sent.get("intercom-version"),
    request: typeof init.body === "string" ? parsed(init.body) : null,
    status: response.status,
    body: parsed(await response.clone().text()),
  });
  return response;
};

/** JSON as a value; anything else kept as its text, for the test to report. */
function parsed(text) {
  if (!text) {
    return null;
  }
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

const seen = {};
const errors = {};
let current = "(start)";

/** Runs one SDK call as the step `name`, and keeps what it resolved to. */
async function step(name, call) {
  current = name;
  const value = await call();
  seen[name] = value ?? null;
  return value;
}

/** Iterates a pager to its end with `for await`, as the SDK's README shows; the ids it yielded,
 * and how many requests that took. */
async function walk(name, pager) {
  current = name;
  const before = exchanges.length;
  const page = await pager();
  const ids = [];
  for await (const item of page) {
    ids.push(item.id);
  }
  seen[name] = { ids, requests: exchanges.length - before };
  return ids;
}

/** The error a call is expected to raise, as the test needs to see it. */
async function expectError(name, call) {
  current = name;
  try {
    await call();
  } catch (error) {
    errors[name] = {
      class: error.constructor.name,
      intercom_error: error instanceof IntercomError,
      not_found: error instanceof Intercom.NotFoundError,
      unauthorized: error instanceof Intercom.UnauthorizedError,
      status: error.statusCode ?? null,
      body: error.body ?? null,
    };
    return;
  }
  throw new Error(`${name}: the SDK raised nothing`);
}

async function main(baseUrl, token) {
  const client = new IntercomClient({ token, baseUrl });

  // Who is calling, the other admin, the team.
  const me = await step("identify", () => client.admins.identify());
  const admins = await step("admins", () => client.admins.list());
  const other = admins.admins.find((admin) => admin.id !== me.id);
  await step("other_admin", () => client.admins.find({ admin_id: Number(other.id) }));
  const teams = await step("teams", () => client.teams.list());
  const team = await step("team", () => client.teams.find({ team_id: teams.teams[0].id }));

  // Contacts: a user by email, a lead by role; read back and listed one per page.
  const jane = await step("jane", () => client.contacts.create({ email: "jane@example.test", name: "Jane" }));
  const lead = await step("lead", () => client.contacts.create({ role: "lead" }));
  await step("jane_found", () => client.contacts.find({ contact_id: jane.id }));
  await walk("contacts_listed", () => client.contacts.list({ per_page: 1 }));

  // Jane starts three conversations; the list is walked two at a time by the SDK's pager.
  const started = [];
  for (const n of [0, 1, 2]) {
    started.push(
      await step(`started_${n}`, () =>
        client.conversations.create({ from: { type: "user", id: jane.id }, body: `Help ${n}` }),
      ),
    );
  }
  const ids = started.map((message) => message.conversation_id);
  const [first] = ids;
  await walk("listed", () => client.conversations.list({ per_page: 2 }));

  await step("found", () => client.conversations.find({ conversation_id: first, display_as: "plaintext" }));
  await step("updated", () =>
    client.conversations.update({
      conversation_id: first,
      read: true,
      title: "Billing",
      custom_attributes: { plan: "pro" },
    }),
  );

  // Replies: the admin answers, writes a note, and Jane writes back.
  const reply = (name, body) => step(name, () => client.conversations.reply({ conversation_id: first, body }));
  await reply("replied", { message_type: "comment", type: "admin", admin_id: me.id, body: "On it!" });
  await reply("noted", { message_type: "note", type: "admin", admin_id: me.id, body: "internal" });
  await reply("contact_replied", { message_type: "comment", type: "user", intercom_user_id: jane.id, body: "Thanks" });

  // Close, snooze, open; assign to the other admin, to the team, and unassign the admin.
  const manage = (name, body) => step(name, () => client.conversations.manage({ conversation_id: first, body }));
  await manage("closed", { message_type: "close", type: "admin", admin_id: me.id, body: "Done" });
  const snoozedUntil = Math.floor(Date.now() / 1000) + 3600;
  seen.snoozed_until = snoozedUntil;
  await manage("snoozed", { message_type: "snoozed", admin_id: me.id, snoozed_until: snoozedUntil });
  await manage("opened", { message_type: "open", admin_id: me.id });
  await manage("assigned_admin", { message_type: "assignment", type: "admin", admin_id: me.id, assignee_id: other.id });
  await manage("assigned_team", { message_type: "assignment", type: "team", admin_id: me.id, assignee_id: team.id });
  await manage("unassigned_admin", { message_type: "assignment", type: "admin", admin_id: me.id, assignee_id: "0" });

  // A tag, attached and detached again; the conversation read back each time.
  const tag = await step("tag", () => client.tags.create({ name: "vip" }));
  await step("tagged", () => client.tags.tagConversation({ conversation_id: first, id: tag.id, admin_id: me.id }));
  await step("with_tag", () => client.conversations.find({ conversation_id: first }));
  await step("untagged", () =>
    client.tags.untagConversation({ conversation_id: first, tag_id: tag.id, admin_id: me.id }),
  );
  await step("without_tag", () => client.conversations.find({ conversation_id: first }));
  await step("tags", () => client.tags.list());
  await step("tag_found", () => client.tags.find({ tag_id: tag.id }));

  // Participants: the lead joins and leaves again.
  await step("attached", () =>
    client.conversations.attachContactAsAdmin({
      conversation_id: first,
      admin_id: me.id,
      customer: { intercom_user_id: lead.id },
    }),
  );
  await step("detached", () =>
    client.conversations.detachContactAsAdmin({ conversation_id: first, contact_id: lead.id, admin_id: me.id }),
  );

  // Search, nested: (open OR snoozed) AND (body contains "Help" OR the lead took part), two a page.
  await walk("searched", () =>
    client.conversations.search({
      query: {
        operator: "AND",
        value: [
          {
            operator: "OR",
            value: [
              { field: "state", operator: "=", value: "open" },
              { field: "state", operator: "=", value: "snoozed" },
            ],
          },
          {
            operator: "OR",
            value: [
              { field: "source.body", operator: "~", value: "Help" },
              { field: "contact_ids", operator: "=", value: lead.id },
            ],
          },
        ],
      },
      pagination: { per_page: 2 },
    }),
  );

  // Redaction: Jane's reply, then the source.
  const shown = await step("before_redaction", () => client.conversations.find({ conversation_id: first }));
  const comment = shown.conversation_parts.conversation_parts.find(
    (part) => part.part_type === "comment" && part.author.type === "user",
  );
  seen.redacted_part_id = comment.id;
  const redacted = await step("redacted", () =>
    client.conversations.redactConversationPart({
      type: "conversation_part",
      conversation_id: first,
      conversation_part_id: comment.id,
    }),
  );
  await step("redacted_source", () =>
    client.conversations.redactConversationPart({ type: "source", conversation_id: first, source_id: redacted.source.id }),
  );

  // The second conversation becomes a ticket of a new type, read back by id.
  const ticketType = await step("ticket_type", () =>
    client.ticketTypes.create({ name: "Bug", category: "Customer", icon: "🐞" }),
  );
  const ticket = await step("ticket", () =>
    client.conversations.convertToTicket({ conversation_id: Number(ids[1]), ticket_type_id: ticketType.id }),
  );
  await step("ticket_again", () => client.tickets.get({ ticket_id: ticket.id }));

  // Assignment rules (none declared), and an admin's outbound in-app message.
  await step("auto_assigned", () => client.conversations.runAssignmentRules({ conversation_id: ids[2] }));
  await step("message", () =>
    client.messages.create({
      message_type: "inapp",
      body: "Hello from the team",
      from: { type: "admin", id: Number(me.id) },
      to: { type: "user", id: jane.id },
    }),
  );

  // The third conversation is deleted (2.13 on); finding it again is the SDK's NotFoundError.
  await step("deleted", () => client.conversations.deleteConversation({ conversation_id: Number(ids[2]) }));
  await expectError("gone", () => client.conversations.find({ conversation_id: ids[2] }));

  // The typed errors: a missing conversation, and a token the server does not know.
  await expectError("missing", () => client.conversations.find({ conversation_id: "999999" }));
  const stranger = new IntercomClient({ token: "not-a-token", baseUrl });
  await expectError("unauthorized", () => stranger.admins.list());
}

const [baseUrl] = process.argv.slice(2);
const token = process.env.INTERCOM_TOKEN;
if (!baseUrl || !token) {
  process.stderr.write("usage: INTERCOM_TOKEN=<token> node conversations.mjs <base URL>\n");
  process.exit(2);
}
try {
  await main(baseUrl, token);
} catch (error) {
  const last = exchanges.at(-1);
  process.stderr.write(
    `step ${current} failed: ${error.constructor.name}: ${error.message}\n` +
      `status: ${error.statusCode ?? "-"}, body: ${JSON.stringify(error.body ?? null)}\n` +
      `last exchange: ${JSON.stringify(last ?? null)}\n${error.stack}\n`,
  );
  process.exit(1);
}
process.stdout.write(`${JSON.stringify({ sdk: SDK_VERSION, seen, errors, exchanges })}\n`);
