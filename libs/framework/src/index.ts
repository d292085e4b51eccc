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
} from './types';
export type { ActionConstraints, OptionsConstraints, Pattern, ShortcutConstraints, ViewConstraints } from './constraints';
export {
  SingleTokenInstallationStore,
  type Authorization,
  type AuthorizeQuery,
  type InstallationStore,
} from './installation-store';
export { FrameworkError, MultipleListenerError, PermanentError, RespondError, type FrameworkErrorCode } from './errors';
export { classifyError, slackErrorCode, TRANSIENT_SLACK_ERRORS, type ErrorKind } from './classify-error';
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
