import { z } from 'zod'

/**
 * The subset of Slack's Block Kit that meshwatch sends, with Slack's limits:
 * - up to 50 blocks per message: https://docs.slack.dev/reference/block-kit/blocks
 * - header text: plain_text, at most 150 characters: https://docs.slack.dev/reference/block-kit/blocks/header-block
 * - section text at most 3000 characters; fields at most 10 items, each at most 2000 characters:
 *   https://docs.slack.dev/reference/block-kit/blocks/section-block (api.slack.com/reference/block-kit/blocks#section)
 * - context elements at most 10: https://docs.slack.dev/reference/block-kit/blocks/context-block
 * - top-level `text` is the notification fallback when blocks are present, and mobile notifications
 *   use only it: https://api.slack.com/methods/chat.postMessage (text), docs.slack.dev changelog 2026-07-13
 */
export const SLACK_LIMITS = {
  blocks: 50,
  headerText: 150,
  sectionText: 3000,
  sectionFields: 10,
  fieldText: 2000,
  contextElements: 10,
  /** Ours, not Slack's: a notification preview is short, and the blocks carry the detail. */
  fallbackText: 3000,
} as const

const PlainTextSchema = z.strictObject({
  type: z.literal('plain_text'),
  text: z.string().min(1),
  emoji: z.boolean().optional(),
})
const MrkdwnSchema = z.strictObject({ type: z.literal('mrkdwn'), text: z.string().min(1) })

export const HeaderBlockSchema = z.strictObject({
  type: z.literal('header'),
  text: PlainTextSchema.extend({ text: z.string().min(1).max(SLACK_LIMITS.headerText) }),
})
export const SectionBlockSchema = z
  .strictObject({
    type: z.literal('section'),
    text: MrkdwnSchema.extend({ text: z.string().min(1).max(SLACK_LIMITS.sectionText) }).optional(),
    fields: z
      .array(MrkdwnSchema.extend({ text: z.string().min(1).max(SLACK_LIMITS.fieldText) }))
      .min(1)
      .max(SLACK_LIMITS.sectionFields)
      .optional(),
  })
  .refine((s) => s.text !== undefined || s.fields !== undefined, 'a section needs text or fields')
export const ContextBlockSchema = z.strictObject({
  type: z.literal('context'),
  elements: z
    .array(z.union([MrkdwnSchema, PlainTextSchema]))
    .min(1)
    .max(SLACK_LIMITS.contextElements),
})
export const DividerBlockSchema = z.strictObject({ type: z.literal('divider') })

/** https://docs.slack.dev/reference/block-kit/block-elements/button-element : text 75, action_id 255, value 2000, url 3000. */
export const ButtonSchema = z.strictObject({
  type: z.literal('button'),
  text: PlainTextSchema.extend({ text: z.string().min(1).max(75) }),
  action_id: z.string().min(1).max(255),
  value: z.string().min(1).max(2000).optional(),
  url: z.string().min(1).max(3000).optional(),
  style: z.enum(['primary', 'danger']).optional(),
})
/** https://docs.slack.dev/reference/block-kit/blocks/actions-block : at most 25 elements. */
export const ActionsBlockSchema = z.strictObject({
  type: z.literal('actions'),
  elements: z.array(ButtonSchema).min(1).max(25),
})

export const BlockSchema = z.union([
  HeaderBlockSchema,
  SectionBlockSchema,
  ContextBlockSchema,
  DividerBlockSchema,
  ActionsBlockSchema,
])

/** An incoming-webhook message body as meshwatch builds it. */
export const SlackMessageSchema = z.strictObject({
  text: z.string().min(1).max(SLACK_LIMITS.fallbackText),
  /** Honoured by legacy webhooks only; app webhooks post to the channel they were created for. */
  channel: z.string().min(1).optional(),
  blocks: z.array(BlockSchema).min(1).max(SLACK_LIMITS.blocks),
})
export type SlackMessage = z.infer<typeof SlackMessageSchema>

/**
 * A chat.postMessage / chat.update body: a channel is required, `ts` names the message to edit,
 * `thread_ts` makes a reply: https://docs.slack.dev/reference/methods/chat.postMessage
 */
export const SlackApiMessageSchema = SlackMessageSchema.extend({
  channel: z.string().min(1),
  ts: z
    .string()
    .regex(/^\d+\.\d+$/)
    .optional(),
  thread_ts: z
    .string()
    .regex(/^\d+\.\d+$/)
    .optional(),
})
export type SlackApiMessage = z.infer<typeof SlackApiMessageSchema>
export type Block = z.infer<typeof BlockSchema>

/** Cuts to at most `max` UTF-16 units (never inside a surrogate pair or an &entity;), marking the cut with …. */
export function clip(text: string, max: number): string {
  if (text.length <= max) return text
  let cut = text.slice(0, max - 1)
  if (/[\uD800-\uDBFF]$/.test(cut)) cut = cut.slice(0, -1)
  cut = cut.replace(/&[a-z]{0,4}$/, '')
  return `${cut}…`
}

/** Slack mrkdwn control characters, escaped: https://api.slack.com/reference/surfaces/formatting#escaping */
export const escapeMrkdwn = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')

export const header = (text: string): Block => ({
  type: 'header',
  text: { type: 'plain_text', text: clip(text, SLACK_LIMITS.headerText), emoji: true },
})
export const section = (mrkdwn: string): Block => ({
  type: 'section',
  text: { type: 'mrkdwn', text: clip(mrkdwn, SLACK_LIMITS.sectionText) },
})
export const fields = (items: string[]): Block => ({
  type: 'section',
  fields: items
    .slice(0, SLACK_LIMITS.sectionFields)
    .map((t) => ({ type: 'mrkdwn', text: clip(t, SLACK_LIMITS.fieldText) })),
})
export const context = (items: string[]): Block => ({
  type: 'context',
  elements: items
    .slice(0, SLACK_LIMITS.contextElements)
    .map((t) => ({ type: 'mrkdwn', text: clip(t, SLACK_LIMITS.fieldText) })),
})
export const divider = (): Block => ({ type: 'divider' })
