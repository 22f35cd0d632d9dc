import { Logger } from '@aws-lambda-powertools/logger';

/** Structured JSON logs; local mode and tests quiet it with POWERTOOLS_LOG_LEVEL. */
export const logger = new Logger({ serviceName: 'grantline' });
