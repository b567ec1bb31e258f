import { CfnOutput, Validations } from 'aws-cdk-lib';
import type { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { type ISecret, Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { ENV } from '../lambdas/shared/env-names.ts';

/** Environment variables of the processor's clients (lambdas/shared/config.ts). */
export const PROCESSOR_ENV = { baseUrl: ENV.processorBaseUrl, secretArn: ENV.processorSecretArn } as const;

/** A card processor the saga's capture/refund tasks and the refunds route can call. */
export interface ProcessorConnection {
  /** Lets `fn` call the processor: sets the base URL and secret variables and grants reading the secret. */
  grantCall(fn: LambdaFunction): void;
}

/** Points `fn` at a processor (base URL and secret variables) and lets it read the secret. */
export function grantProcessorCall(fn: LambdaFunction, baseUrl: string, secret: ISecret): void {
  fn.addEnvironment(PROCESSOR_ENV.baseUrl, baseUrl);
  fn.addEnvironment(PROCESSOR_ENV.secretArn, secret.secretArn);
  secret.grantRead(fn);
}

/** Properties of an {@link ExternalProcessor}. */
export interface ExternalProcessorProps {
  /** The processor's API base URL (`https://`), from `-c ledgerline:processorUrl=…`. */
  readonly baseUrl: string;
}

/**
 * The real card processor of a production stage: its base URL is a template setting, its API key a
 * Secrets Manager secret the stack creates empty and the operator fills
 * (`aws secretsmanager put-secret-value --secret-id <ProcessorApiKeySecretArn> --secret-string <key>`).
 * The functions use the same HTTP adapter as with the sandbox; nothing is deployed in front of it.
 */
export class ExternalProcessor extends Construct implements ProcessorConnection {
  /** The processor API key the clients send as `Authorization: Bearer …`. */
  public readonly secret: Secret;
  public readonly baseUrl: string;

  constructor(scope: Construct, id: string, props: ExternalProcessorProps) {
    super(scope, id);
    const url = URL.canParse(props.baseUrl) ? new URL(props.baseUrl) : undefined;
    if (url?.protocol !== 'https:') {
      throw new Error(`The processor URL must be an https:// URL, got '${props.baseUrl}'.`);
    }
    this.baseUrl = props.baseUrl;
    this.secret = new Secret(this, 'ApiKey', {
      description: 'API key of the card processor (put the value after the first deploy)',
    });
    Validations.of(this.secret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason: 'The processor issues and rotates its API keys; the operator puts each new key here.',
    });
    new CfnOutput(this, 'ApiKeySecretArn', {
      value: this.secret.secretArn,
      description: 'Put the card processor API key here (aws secretsmanager put-secret-value)',
    });
  }

  public grantCall(fn: LambdaFunction): void {
    grantProcessorCall(fn, this.baseUrl, this.secret);
  }
}
