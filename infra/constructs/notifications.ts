import { Grant, type IGrantable } from 'aws-cdk-lib/aws-iam';
import { Alias } from 'aws-cdk-lib/aws-kms';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';

export interface NotificationsProps {
  /** Subscribed by email to approval requests. */
  readonly approverEmail?: string;
  /** Subscribed by email to alerts (failed revokes, anomalies): the address on-call watches. */
  readonly alertEmail?: string;
}

/**
 * Two topics: approval requests, and alerts that need a human now. Kept apart so alerts can be
 * paged on without the noise of every approval.
 */
export class Notifications extends Construct {
  readonly approvals: Topic;
  readonly alerts: Topic;

  constructor(scope: Construct, id: string, props: NotificationsProps = {}) {
    super(scope, id);

    // The AWS-managed key needs no key policy of ours, and publishers in this account may use it
    // through SNS without any KMS statement in their own policies.
    const key = Alias.fromAliasName(this, 'SnsKey', 'alias/aws/sns');
    this.approvals = new Topic(this, 'Approvals', { displayName: 'Grantline approvals', masterKey: key, enforceSSL: true });
    this.alerts = new Topic(this, 'Alerts', { displayName: 'Grantline alerts', masterKey: key, enforceSSL: true });

    if (props.approverEmail) this.approvals.addSubscription(new EmailSubscription(props.approverEmail));
    if (props.alertEmail) this.alerts.addSubscription(new EmailSubscription(props.alertEmail));
  }

  /** sns:Publish on the approvals topic only. */
  grantPublishApprovals(grantee: IGrantable): Grant {
    return publish(grantee, this.approvals);
  }

  /** sns:Publish on the alerts topic only. */
  grantPublishAlerts(grantee: IGrantable): Grant {
    return publish(grantee, this.alerts);
  }
}

// Topic.grantPublish would also grant KMS actions on the imported alias ("*" resource with an alias
// condition); the AWS-managed key does not need them.
function publish(grantee: IGrantable, topic: Topic): Grant {
  return Grant.addToPrincipal({ grantee, actions: ['sns:Publish'], resourceArns: [topic.topicArn] });
}
