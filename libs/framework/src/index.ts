export { App, type AppOptions } from './app';
export type {
  ActionArgs,
  AckFn,
  AnyListenerArgs,
  CommandAckResponse,
  CommandArgs,
  Context,
  DispatchOptions,
  DispatchResult,
  ErrorHandler,
  ErrorHandlerExtras,
  EventArgs,
  ListenerEvent,
  ListenerKind,
  MessageArgs,
  Middleware,
  NextFn,
  OptionsAckResponse,
  OptionsArgs,
  RespondArguments,
  RespondFn,
  RespondResult,
  SayArguments,
  SayFn,
  ShortcutArgs,
  ViewAckResponse,
  ViewArgs,
  ViewOutput,
} from './types';
export type { ActionConstraints, OptionsConstraints, Pattern, ShortcutConstraints, ViewConstraints } from './constraints';
export {
  SingleTokenInstallationStore,
  type Authorization,
  type AuthorizeQuery,
  type InstallationStore,
} from './installation-store';
export { FrameworkError, MultipleListenerError, PermanentError, RateLimitedError, RespondError, type FrameworkErrorCode } from './errors';
export { classifyError, rateLimitOf, slackErrorCode, TRANSIENT_SLACK_ERRORS, type ErrorKind } from './classify-error';
export { RedisInstallationStore, type Installation, type RedisInstallationStoreOptions } from './redis-installation-store';
export { EFFECT_EVENT_TYPE, type ReplayMismatchInfo } from './job-scope';
export { RESPONSE_URL_MAX_USES, RESPONSE_URL_TTL_MS } from './response-url-uses';
export { stateKeys, type StateKeys } from './state-keys';
export { runMiddleware } from './middleware';
export type { RateLimitedInfo } from './web-clients';
/** Types app authors name in listeners, re-exported so an app needs only this package. */
export type {
  AppMentionEvent,
  BlockAction,
  BlockActionsPayload,
  BlockSuggestionPayload,
  EventCallbackPayload,
  EventOfType,
  GenericEvent,
  GlobalShortcutPayload,
  KnownEvents,
  MessageEvent,
  MessageShortcutPayload,
  SlackEvent,
  SlackJobData,
  SlashCommandPayload,
  ViewClosedPayload,
  ViewPayload,
  ViewSubmissionPayload,
} from '@socketworks/protocol';
export type { Logger } from '@socketworks/runtime';
export type { WebClient } from '@slack/web-api';
