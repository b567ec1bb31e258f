import { type IAspect, RemovalPolicy } from 'aws-cdk-lib';
import { CfnGlobalTable } from 'aws-cdk-lib/aws-dynamodb';
import { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import { CfnLogGroup } from 'aws-cdk-lib/aws-logs';
import type { IConstruct } from 'constructs';
import type { StageProfile } from './stage.ts';

/**
 * Applies a stage's profile to every table and log group of the stack, whichever construct made it, so no
 * construct has to know the stage: production retains them (tables with deletion protection) and keeps logs at
 * least `logRetentionDays`; any other stage deletes them with the stack and keeps logs `logRetentionDays`.
 * Functions keep the reserved concurrency their construct gave them only where the profile says `as-built`.
 */
export class StagePolicies implements IAspect {
  readonly #profile: StageProfile;

  constructor(profile: StageProfile) {
    this.#profile = profile;
  }

  visit(node: IConstruct): void {
    const { retainData, logRetentionDays, reservedConcurrency } = this.#profile;
    if (node instanceof CfnFunction) {
      if (reservedConcurrency === 'none') node.reservedConcurrentExecutions = undefined;
    } else if (node instanceof CfnGlobalTable) {
      node.applyRemovalPolicy(retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY);
      // The stack's tables have one replica, in the stack's region.
      node.addPropertyOverride('Replicas.0.DeletionProtectionEnabled', retainData);
    } else if (node instanceof CfnLogGroup) {
      node.applyRemovalPolicy(retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY);
      const own = node.retentionInDays;
      node.retentionInDays =
        retainData && own !== undefined ? Math.max(own, logRetentionDays) : logRetentionDays;
    }
  }
}
