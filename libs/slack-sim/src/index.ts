// @socketworks/slack-sim: Slack on localhost for the demo, the tests and the benchmark.
export { SlackSim } from './slack-sim';
export { SlackSimError, type SlackSimErrorCode } from './errors';
export * from './types';
export {
  appMentionPayload,
  messagePayload,
  slashCommandPayload,
  blockActionsPayload,
  blockSuggestionPayload,
  viewSubmissionPayload,
  viewClosedPayload,
  globalShortcutPayload,
  messageShortcutPayload,
  varyInjectInput,
  VERIFICATION_TOKEN,
  DEFAULTS as PAYLOAD_DEFAULTS,
  type AppMentionOptions,
  type MessageOptions,
  type SlashCommandOptions,
  type BlockActionInput,
  type BlockActionsOptions,
  type BlockSuggestionOptions,
  type ViewSubmissionOptions,
  type ViewStateValues,
  type ViewClosedOptions,
  type MessageShortcutOptions,
  type PayloadDefaults,
} from './payloads';
