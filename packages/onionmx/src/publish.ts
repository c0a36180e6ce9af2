// The torrc and SRV lines an operator publishes, and their check; `onionmx publish` loads this and ./routing.
export {
  publishConfigSchema,
  readHiddenServiceHostname,
  torrcLines,
  srvRecordLine,
  verifyPublished,
  formatFindings,
  PublishError,
  type PublishConfig,
  type VerifyFinding,
} from './publish/publish.ts';
