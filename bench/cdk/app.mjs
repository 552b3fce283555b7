// The trading platform of `platform-def/src/lib.rs`, declared as an AWS CDK
// v2 app: the other side of `tp-bench versus`, which times `cdk synth` of
// this app beside `tp synth` of the definition. Never deployed.
//
// It mirrors profile `dev` (suffix `dev`) in every region, one stack per
// region (`trading-platform-<region>-dev`), with L2 constructs where CDK has
// them and L1 (`Cfn*`) where it does not (the web ACL and its logging):
//
// - five KMS keys with aliases; the VPC `core` with three AZs of private
//   and of isolated subnets, no internet or NAT gateway, a flow log, the
//   S3 and DynamoDB gateway endpoints and ten interface endpoints behind
//   one security group;
// - the Aurora PostgreSQL Serverless v2 cluster (writer and two readers,
//   parameter group, log group, monitoring role), the three database
//   users' secrets with their 30-day rotation by `db_rotation`, and the
//   nightly AWS Backup plan of the cluster and the tables;
// - the three DynamoDB tables, the three SQS queues (two dead-letter
//   queues), the three S3 buckets with access logs, lifecycle rules and
//   replication to the account's archive, the alerts topic with its
//   subscriptions;
// - every one of the nine functions, with `lambda.Code.fromAsset()` of its
//   directory under `platform-def/handlers/`, `handlers/shared` copied in
//   as `lib/` and, for the five with dependencies, its vendored package
//   set's `handlers/vendor/<set>/node_modules` as `node_modules/` (what
//   tp's `include` does), its log group, environment
//   key, reserved concurrency, VPC placement and asynchronous-invoke
//   configuration, and its grants as L2 `grant*` calls;
// - the REST API (stage `v1`, access and execution log groups, `GET
//   /health` and `POST /trades` with IAM auth, the request model and
//   validator), its certificate, custom and regional domain names and
//   latency-routed records, and the web ACL;
// - the event bus, its archive, the audit log group, the two rules, the
//   drift-detection Config rule and its alert rule, the SSM parameters,
//   every alarm and the dashboard.
//
// us-east-1's stack also holds what is global, as tp's does: the public
// hosted zone, the three Route 53 health checks and their alarms. The
// other regions take those ids as parameters (tp's deploy fills them), as
// tp's templates do, instead of CDK's cross-region references, which would
// add custom resources that tp has no counterpart for.
//
// Where it differs: CDK gives every role a separate `AWS::IAM::Policy` (tp
// writes policies inline), the cluster's master password is a generated
// secret (tp lets RDS manage it), security-group rules between groups are
// resources of their own, and the event rule's log-group target installs
// its resource policy through a custom resource (a function, its role and
// policy). CDK stages each asset as a directory in `cdk.out`; tp writes
// zips. Only the dev profile's values are declared. Together these give
// 214 resources in us-east-1 and 207 in each other region, against tp's
// 192 and 185 (about 12% more). The one feature flag set (in `cdk.json`)
// lets the buckets take access logs by bucket policy, as tp's do, rather
// than by ACL.
//
// Offline: explicit `env` (the dev account) with explicit availability
// zones, no `fromLookup`, and the bootstrap's buckets, keys and vaults
// named rather than looked up; `cdk.json` turns notices, version reporting
// and telemetry off.

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import * as cdk from 'aws-cdk-lib';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as backup from 'aws-cdk-lib/aws-backup';
import * as cw from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as config from 'aws-cdk-lib/aws-config';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as destinations from 'aws-cdk-lib/aws-lambda-destinations';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as route53Targets from 'aws-cdk-lib/aws-route53-targets';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';

const { Duration, RemovalPolicy } = cdk;

const here = path.dirname(fileURLToPath(import.meta.url));
const handlers = path.resolve(here, '../../platform-def/handlers');

const ACCOUNT = '111111111111';
const SUFFIX = 'dev';
const REGIONS = ['us-east-1', 'us-east-2', 'us-west-2'];
const HOME = REGIONS[0];
const CIDRS = { 'us-east-1': '10.0.0.0/16', 'us-east-2': '10.1.0.0/16', 'us-west-2': '10.2.0.0/16' };
const BACKUP_COPY_TO = { 'us-east-1': 'us-west-2', 'us-east-2': 'us-west-2', 'us-west-2': 'us-east-1' };
const ZONE = 'dev.trading.example.com';
const API_DOMAIN = `api.${ZONE}`;
const RETENTION = logs.RetentionDays.ONE_MONTH;

/** A region's name as tp spells it in logical ids: `UsEast1`. */
const regionId = (region) => region.split('-').map((p) => p[0].toUpperCase() + p.slice(1)).join('');

/**
 * A function's code: its handler directory with `handlers/shared` beside it
 * as `lib/` and, given a vendored package set (`vendor`, as the function's
 * `include:` names it in lib.rs), `handlers/vendor/<set>/node_modules` as
 * `node_modules/`: the same files tp packages. Copied in-process (local
 * bundling, never Docker) and hashed by the output, so an edit to the
 * shared code or a vendored package changes every asset that ships it.
 */
function handlerCode(name, vendor) {
  const source = path.join(handlers, name);
  return lambda.Code.fromAsset(source, {
    assetHashType: cdk.AssetHashType.OUTPUT,
    bundling: {
      image: cdk.DockerImage.fromRegistry('unused-local-bundling'),
      local: {
        tryBundle(outputDir) {
          fs.cpSync(source, outputDir, { recursive: true });
          fs.cpSync(path.join(handlers, 'shared'), path.join(outputDir, 'lib'), { recursive: true });
          if (vendor) {
            fs.cpSync(path.join(handlers, 'vendor', vendor, 'node_modules'), path.join(outputDir, 'node_modules'), {
              recursive: true,
            });
          }
          return true;
        },
      },
    },
  });
}

class TradingPlatformStack extends cdk.Stack {
  constructor(scope, id, props) {
    super(scope, id, props);
    const region = props.env.region;
    const home = region === HOME;
    const name = (kind, base) => `${kind}-${base}-${region}-${SUFFIX}`;

    // What `tp bootstrap` records in SSM: resolved at deploy time.
    const bootstrap = (paramId, key, description) =>
      new cdk.CfnParameter(this, paramId, {
        type: 'AWS::SSM::Parameter::Value<String>',
        default: `/tp/bootstrap/${key}`,
        description,
      }).valueAsString;
    const retainedKey = kms.Key.fromKeyArn(
      this,
      'RetainedDataKey',
      bootstrap('RetainedDataKeyArn', 'retained-data-key-arn', 'Bootstrap-owned data key that outlives environments'),
    );
    const archiveKey = kms.Key.fromKeyArn(
      this,
      'ArchiveKey',
      bootstrap('ArchiveKeyArn', 'archive-key-arn', "Key of the account's audit archive"),
    );
    const archiveBucket = s3.Bucket.fromBucketName(this, 'ArchiveBucket', `tp-archive-${ACCOUNT}-${region}`);
    const alertsEmail = new cdk.CfnParameter(this, 'AlertsTopicEmail', {
      type: 'String',
      default: '',
      description: 'Email address subscribed to AlertsTopic; empty for none',
    });

    // Keys by purpose.
    const key = (keyId, description) =>
      new kms.Key(this, keyId, {
        description,
        enableKeyRotation: true,
        pendingWindow: Duration.days(30),
        alias: `alias/trading-platform/${keyId.replace(/Key$/, '').toLowerCase()}-${region}-${SUFFIX}`,
        removalPolicy: RemovalPolicy.DESTROY,
      });
    const dataKey = key('DataKey', 'Trading platform data at rest');
    const secretsKey = key('SecretsKey', 'Trading platform database credentials');
    const logsKey = key('LogsKey', 'Trading platform logs');
    const auditKey = key('AuditKey', 'Trading platform audit trail');
    const environmentKey = key('EnvironmentKey', 'Trading platform function environments');
    const logsPrincipal = new iam.ServicePrincipal(`logs.${region}.amazonaws.com`);
    logsKey.grantEncryptDecrypt(logsPrincipal);
    auditKey.grantEncryptDecrypt(logsPrincipal);

    const logGroup = (groupId, logGroupName, encryptionKey = logsKey, retention = RETENTION) =>
      new logs.LogGroup(this, groupId, { logGroupName, retention, encryptionKey, removalPolicy: RemovalPolicy.DESTROY });

    // The network: no route to the internet; AWS only through endpoints.
    const vpc = new ec2.Vpc(this, 'CoreVpc', {
      vpcName: name('vpc', 'core'),
      ipAddresses: ec2.IpAddresses.cidr(CIDRS[region]),
      availabilityZones: ['a', 'b', 'c'].map((z) => `${region}${z}`),
      natGateways: 0,
      restrictDefaultSecurityGroup: false, // `network_guard` does it, after the deploy
      subnetConfiguration: [
        { name: 'Private', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 20 },
        { name: 'Isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 20 },
      ],
    });
    const privateSubnets = { subnetGroupName: 'Private' };
    vpc.addFlowLog('FlowLog', {
      destination: ec2.FlowLogDestination.toCloudWatchLogs(
        logGroup('CoreVpcFlowLogGroup', `/aws/vpc/flow-logs/${name('vpc', 'core')}`),
      ),
      trafficType: ec2.FlowLogTrafficType.ALL,
    });
    const endpointSg = new ec2.SecurityGroup(this, 'CoreVpcEndpointSecurityGroup', {
      vpc,
      description: 'Interface endpoints of core',
      allowAllOutbound: false,
    });
    const functionSg = new ec2.SecurityGroup(this, 'CoreVpcFunctionSecurityGroup', {
      vpc,
      description: 'Functions in core',
      allowAllOutbound: false,
    });
    functionSg.connections.allowTo(endpointSg, ec2.Port.tcp(443), 'AWS APIs through the endpoints');
    const ownAccountOnly = new iam.PolicyStatement({
      sid: 'OwnAccountOnly',
      principals: [new iam.AnyPrincipal()],
      actions: ['*'],
      resources: ['*'],
      conditions: { StringEquals: { 'aws:PrincipalAccount': this.account, 'aws:ResourceAccount': this.account } },
    });
    const s3Endpoint = vpc.addGatewayEndpoint('S3Endpoint', { service: ec2.GatewayVpcEndpointAwsService.S3 });
    const dynamodbEndpoint = vpc.addGatewayEndpoint('DynamodbEndpoint', {
      service: ec2.GatewayVpcEndpointAwsService.DYNAMODB,
    });
    dynamodbEndpoint.addToPolicy(ownAccountOnly);
    const S = ec2.InterfaceVpcEndpointAwsService;
    const interfaces = {
      Sqs: S.SQS,
      Sns: S.SNS,
      Events: S.EVENTBRIDGE,
      Ssm: S.SSM,
      Secretsmanager: S.SECRETS_MANAGER,
      Kms: S.KMS,
      Logs: S.CLOUDWATCH_LOGS,
      Monitoring: S.CLOUDWATCH_MONITORING,
      Lambda: S.LAMBDA,
      Xray: S.XRAY,
    };
    for (const [endpointId, service] of Object.entries(interfaces)) {
      vpc
        .addInterfaceEndpoint(`${endpointId}Endpoint`, {
          service,
          subnets: privateSubnets,
          securityGroups: [endpointSg],
          privateDnsEnabled: true,
        })
        .addToPolicy(ownAccountOnly);
    }

    // The database.
    const clusterSg = new ec2.SecurityGroup(this, 'TradesClusterSecurityGroup', {
      vpc,
      description: 'Aurora cluster trades',
      allowAllOutbound: false,
    });
    const clusterIdentifier = name('aurora', 'trades');
    const clusterLogs = logGroup('TradesClusterLogGroup', `/aws/rds/cluster/${clusterIdentifier}/postgresql`);
    const engine = rds.DatabaseClusterEngine.auroraPostgres({ version: rds.AuroraPostgresEngineVersion.VER_16_10 });
    const cluster = new rds.DatabaseCluster(this, 'TradesCluster', {
      engine,
      clusterIdentifier,
      defaultDatabaseName: 'trading',
      credentials: rds.Credentials.fromGeneratedSecret('postgres', { encryptionKey: secretsKey }),
      writer: rds.ClusterInstance.serverlessV2('Writer', { enablePerformanceInsights: true }),
      readers: [1, 2].map((n) =>
        rds.ClusterInstance.serverlessV2(`Reader${n}`, { scaleWithWriter: true, enablePerformanceInsights: true }),
      ),
      serverlessV2MinCapacity: 0.5,
      serverlessV2MaxCapacity: 2,
      vpc,
      vpcSubnets: { subnetGroupName: 'Isolated' },
      securityGroups: [clusterSg],
      storageEncryptionKey: retainedKey,
      performanceInsightEncryptionKey: dataKey,
      backup: { retention: Duration.days(7), preferredWindow: '04:00-05:00' },
      cloudwatchLogsExports: ['postgresql'],
      monitoringInterval: Duration.seconds(60),
      parameterGroup: new rds.ParameterGroup(this, 'TradesClusterParameterGroup', {
        engine,
        parameters: { 'rds.force_ssl': '1', log_min_duration_statement: '1000' },
      }),
      copyTagsToSnapshot: true,
      deletionProtection: false,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    cluster.node.addDependency(clusterLogs);
    cluster.connections.allowDefaultPortFrom(functionSg, 'Functions in core');
    const dbEndpoint = cluster.clusterEndpoint.hostname;
    const dbPort = cdk.Token.asString(cluster.clusterEndpoint.port);

    const dbUser = (userId, username) =>
      new secretsmanager.Secret(this, userId, {
        secretName: `trading-platform/${region}/${SUFFIX}/db-user/${username}`,
        encryptionKey: secretsKey,
        generateSecretString: {
          secretStringTemplate: JSON.stringify({ username }),
          generateStringKey: 'password',
          excludePunctuation: true,
          passwordLength: 32,
        },
        removalPolicy: RemovalPolicy.DESTROY,
      });
    const owner = dbUser('TradingOwnerDbUser', 'trading_owner');
    const app = dbUser('TradingAppDbUser', 'trading_app');
    const monitor = dbUser('TradingMonitorDbUser', 'trading_monitor');

    // Tables, queues, buckets, the topic.
    const table = (tableId, tableName, partition, stream) =>
      new dynamodb.Table(this, tableId, {
        tableName: name('table', tableName),
        partitionKey: { name: partition, type: dynamodb.AttributeType.STRING },
        billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
        timeToLiveAttribute: 'expires_at',
        encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
        encryptionKey: retainedKey,
        pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true, recoveryPeriodInDays: 35 },
        deletionProtection: false,
        stream,
        removalPolicy: RemovalPolicy.DESTROY,
      });
    const sessions = table('SessionsTable', 'sessions', 'session_id', dynamodb.StreamViewType.NEW_AND_OLD_IMAGES);
    const orderKeys = table('OrderKeysTable', 'order-keys', 'order_key');
    const alertKeys = table('AlertKeysTable', 'alert-keys', 'alert_key');

    const queue = (queueId, queueName, retentionPeriod, deadLetterQueue, visibilityTimeout) =>
      new sqs.Queue(this, queueId, {
        queueName: name('queue', queueName),
        retentionPeriod,
        visibilityTimeout,
        deadLetterQueue,
        encryption: sqs.QueueEncryption.KMS,
        encryptionMasterKey: dataKey,
        enforceSSL: true,
        removalPolicy: RemovalPolicy.DESTROY,
      });
    const tradeOrdersDlq = queue('TradeOrdersDlqQueue', 'trade-orders-dlq', Duration.days(14));
    const eventsDlq = queue('EventsDlqQueue', 'events-dlq', Duration.days(14));
    const tradeOrders = queue(
      'TradeOrdersQueue',
      'trade-orders',
      Duration.days(4),
      { queue: tradeOrdersDlq, maxReceiveCount: 5 },
      Duration.seconds(180),
    );

    const bucket = (bucketId, bucketName, props) => {
      // Named: CDK's own replication role takes one fixed name per stack.
      const replicationRole = new iam.Role(this, `${bucketId}ReplicationRole`, {
        roleName: name('role', `${bucketName}-replication`),
        assumedBy: new iam.ServicePrincipal('s3.amazonaws.com'),
      });
      const b = new s3.Bucket(this, bucketId, {
        bucketName: `${bucketName}-${ACCOUNT}-${region}-${SUFFIX}`,
        versioned: true,
        enforceSSL: true,
        blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
        objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
        removalPolicy: RemovalPolicy.DESTROY,
        replicationRules: [
          {
            destination: archiveBucket,
            priority: 1,
            storageClass: s3.StorageClass.GLACIER_INSTANT_RETRIEVAL,
            kmsKey: archiveKey,
            // Objects under a KMS key replicate only when the rule says so.
            sseKmsEncryptedObjects: props.encryptionKey !== undefined,
          },
        ],
        replicationRole,
        ...props,
      });
      b.grantRead(replicationRole);
      replicationRole.addToPrincipalPolicy(
        new iam.PolicyStatement({
          actions: ['s3:GetReplicationConfiguration', 's3:GetObjectVersionForReplication', 's3:GetObjectVersionAcl'],
          resources: [b.bucketArn, b.arnForObjects('*')],
        }),
      );
      archiveBucket.grantWrite(replicationRole);
      replicationRole.addToPrincipalPolicy(
        new iam.PolicyStatement({
          actions: ['s3:ReplicateObject', 's3:ReplicateDelete', 's3:ReplicateTags'],
          resources: [archiveBucket.arnForObjects('*')],
        }),
      );
      archiveKey.grantEncrypt(replicationRole);
      return b;
    };
    const accessLogs = bucket('AccessLogsBucket', 'access-logs', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      lifecycleRules: [{ expiration: Duration.days(90), noncurrentVersionExpiration: Duration.days(30) }],
    });
    const configBucket = bucket('ConfigBucket', 'config', {
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: dataKey,
      bucketKeyEnabled: true,
      serverAccessLogsBucket: accessLogs,
      serverAccessLogsPrefix: 'config/',
      lifecycleRules: [{ noncurrentVersionExpiration: Duration.days(30) }],
    });
    const auditLog = bucket('AuditLogBucket', 'audit-log', {
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: auditKey,
      bucketKeyEnabled: true,
      serverAccessLogsBucket: accessLogs,
      serverAccessLogsPrefix: 'audit-log/',
      lifecycleRules: [{ expiration: Duration.days(30), noncurrentVersionExpiration: Duration.days(90) }],
    });
    s3Endpoint.addToPolicy(
      new iam.PolicyStatement({
        sid: 'PlatformBuckets',
        principals: [new iam.AnyPrincipal()],
        actions: ['s3:*'],
        resources: [configBucket, auditLog, accessLogs].flatMap((b) => [b.bucketArn, b.arnForObjects('*')]),
        conditions: ownAccountOnly.conditions,
      }),
    );

    const alerts = new sns.Topic(this, 'AlertsTopic', {
      topicName: name('topic', 'alerts'),
      displayName: 'Trading platform alerts',
      masterKey: dataKey,
      enforceSSL: true,
    });
    alerts.addSubscription(new subscriptions.EmailSubscription('dev-oncall@example.com'));
    const hasEmail = new cdk.CfnCondition(this, 'AlertsTopicEmailGiven', {
      expression: cdk.Fn.conditionNot(cdk.Fn.conditionEquals(alertsEmail.valueAsString, '')),
    });
    new sns.Subscription(this, 'AlertsTopicEmailSubscription', {
      topic: alerts,
      protocol: sns.SubscriptionProtocol.EMAIL,
      endpoint: alertsEmail.valueAsString,
    }).node.defaultChild.cfnOptions.condition = hasEmail;
    const notifyAlerts = new cwActions.SnsAction(alerts);

    // SSM parameters the functions read.
    const parameter = (parameterId, parameterName, stringValue, description) =>
      new ssm.StringParameter(this, parameterId, {
        parameterName: `/trading-platform/${SUFFIX}/${parameterName}`,
        stringValue,
        description,
      });
    const maxOrderQuantity = parameter(
      'MaxOrderQuantityParameter',
      'max-order-quantity',
      '1000',
      'Largest quantity one order may ask for',
    );
    const tradingHours = parameter(
      'TradingHoursParameter',
      'trading-hours',
      '00:00-24:00',
      'Window (UTC, HH:MM-HH:MM) in which orders are accepted',
    );

    // The functions.
    const fn = (fnId, dir, props) => {
      const functionName = name('lambda', dir);
      const f = new lambda.Function(this, `${fnId}Function`, {
        functionName,
        description: `trading_platform function \`${dir.replace(/-/g, '_')}\``,
        runtime: lambda.Runtime.NODEJS_24_X,
        architecture: lambda.Architecture.ARM_64,
        handler: 'index.handler',
        code: handlerCode(dir, props.vendor),
        timeout: Duration.seconds(props.timeout),
        memorySize: props.memory,
        reservedConcurrentExecutions: props.concurrency,
        environment: props.env,
        environmentEncryption: environmentKey,
        tracing: lambda.Tracing.ACTIVE,
        loggingFormat: lambda.LoggingFormat.JSON,
        applicationLogLevelV2: props.appLogLevel,
        systemLogLevelV2: props.systemLogLevel,
        logGroup: logGroup(`${fnId}FunctionLogGroup`, `/aws/lambda/${functionName}`),
        ...(props.network === false
          ? {}
          : { vpc, vpcSubnets: privateSubnets, securityGroups: [functionSg] }),
      });
      if (props.onFailure || props.retries !== undefined) {
        f.configureAsyncInvoke({
          onFailure: props.onFailure && new destinations.SqsDestination(props.onFailure),
          retryAttempts: props.retries,
        });
      }
      return f;
    };

    const tradeApi = fn('TradeApi', 'trade-api', {
      vendor: 'ajv',
      memory: 512,
      timeout: 10,
      concurrency: 10,
      env: {
        SESSIONS_TABLE: sessions.tableName,
        ORDER_KEYS_TABLE: orderKeys.tableName,
        TRADE_ORDERS_QUEUE_URL: tradeOrders.queueUrl,
        MAX_ORDER_QUANTITY_PARAMETER: maxOrderQuantity.parameterName,
        TRADING_HOURS_PARAMETER: tradingHours.parameterName,
      },
    });
    sessions.grantReadWriteData(tradeApi);
    orderKeys.grantReadWriteData(tradeApi);
    tradeOrders.grantSendMessages(tradeApi);
    maxOrderQuantity.grantRead(tradeApi);
    tradingHours.grantRead(tradeApi);

    const healthApi = fn('HealthApi', 'health-api', {
      memory: 256,
      timeout: 10,
      concurrency: 2,
      env: {
        SESSIONS_TABLE: sessions.tableName,
        ORDER_KEYS_TABLE: orderKeys.tableName,
        TRADE_ORDERS_QUEUE_URL: tradeOrders.queueUrl,
        DB_ENDPOINT: dbEndpoint,
        DB_PORT: dbPort,
      },
    });
    sessions.grant(healthApi, 'dynamodb:DescribeTable');
    orderKeys.grant(healthApi, 'dynamodb:DescribeTable');
    tradeOrders.grant(healthApi, 'sqs:GetQueueAttributes');

    const networkGuard = fn('NetworkGuard', 'network-guard', {
      memory: 128,
      timeout: 30,
      concurrency: 1,
      network: false,
      env: { SECURITY_GROUP_ID: vpc.vpcDefaultSecurityGroup },
    });
    networkGuard.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['ec2:RevokeSecurityGroupIngress', 'ec2:RevokeSecurityGroupEgress'],
        resources: [
          this.formatArn({ service: 'ec2', resource: 'security-group', resourceName: vpc.vpcDefaultSecurityGroup }),
        ],
      }),
    );
    networkGuard.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['ec2:DescribeSecurityGroups'], resources: ['*'] }),
    );

    const dbEnv = { DB_ENDPOINT: dbEndpoint, DB_PORT: dbPort, DB_NAME: 'trading' };
    const migrate = fn('Migrate', 'migrate', {
      vendor: 'pg',
      memory: 256,
      timeout: 300,
      concurrency: 1,
      env: {
        MASTER_SECRET_ARN: cluster.secret.secretArn,
        ...dbEnv,
        DB_USER_OWNER_SECRET_ARN: owner.secretArn,
        DB_USER_OWNER_NAME: 'trading_owner',
        DB_USER_OWNER_PRIVILEGES: 'owner',
        DB_USER_APP_SECRET_ARN: app.secretArn,
        DB_USER_APP_NAME: 'trading_app',
        DB_USER_APP_PRIVILEGES: 'dml',
        DB_USER_MONITOR_SECRET_ARN: monitor.secretArn,
        DB_USER_MONITOR_NAME: 'trading_monitor',
        DB_USER_MONITOR_PRIVILEGES: 'read_only',
      },
    });
    for (const secret of [cluster.secret, owner, app, monitor]) secret.grantRead(migrate);

    const dbRotation = fn('DbRotation', 'db-rotation', { vendor: 'pg', memory: 256, timeout: 60, concurrency: 3, env: dbEnv });
    for (const secret of [owner, app, monitor]) {
      secret.addRotationSchedule('RotationSchedule', {
        rotationLambda: dbRotation,
        automaticallyAfter: Duration.days(30),
      });
    }

    const bus = new events.EventBus(this, 'TradingEventsBus', {
      eventBusName: name('bus', 'trading-events'),
      description: 'Trading platform events',
    });
    // The bus's and the archive's `kmsKey` would add a key policy naming the
    // bus, which names the key: a cycle. The key's own policy admits
    // EventBridge instead.
    bus.node.defaultChild.kmsKeyIdentifier = dataKey.keyArn;
    dataKey.grantEncryptDecrypt(new iam.ServicePrincipal('events.amazonaws.com'));
    const replay = new events.Archive(this, 'TradeReplay', {
      sourceEventBus: bus,
      archiveName: name('archive', 'trade-replay'),
      description: 'Every trading event, for replays',
      eventPattern: { account: [this.account] },
      retention: Duration.days(7),
    });
    replay.node.defaultChild.kmsKeyIdentifier = dataKey.keyArn;

    const tradeProcessor = fn('TradeProcessor', 'trade-processor', {
      vendor: 'pg',
      memory: 512,
      timeout: 30,
      concurrency: 5,
      appLogLevel: lambda.ApplicationLogLevel.DEBUG,
      systemLogLevel: lambda.SystemLogLevel.WARN,
      env: {
        SESSIONS_TABLE: sessions.tableName,
        DB_SECRET_ARN: app.secretArn,
        ...dbEnv,
        EVENT_BUS_NAME: bus.eventBusName,
      },
    });
    tradeProcessor.addEventSource(new SqsEventSource(tradeOrders, { batchSize: 10, maxConcurrency: 4 }));
    sessions.grantReadWriteData(tradeProcessor);
    app.grantRead(tradeProcessor);
    bus.grantPutEventsTo(tradeProcessor);

    const eventHandler = fn('EventHandler', 'event-handler', {
      memory: 256,
      timeout: 60,
      concurrency: 2,
      onFailure: eventsDlq,
      env: { AUDIT_BUCKET: auditLog.bucketName },
    });
    auditLog.grantPut(eventHandler);

    // The API, then the probe that calls it from outside the VPC.
    const apiName = name('api', 'trading');
    const accessLogGroup = logGroup('TradingApiAccessLogGroup', `/aws/apigateway/${apiName}/access`);
    const api = new apigw.RestApi(this, 'TradingApi', {
      restApiName: apiName,
      endpointTypes: [apigw.EndpointType.REGIONAL],
      cloudWatchRole: false,
      deployOptions: {
        stageName: 'v1',
        throttlingRateLimit: 100,
        throttlingBurstLimit: 200,
        accessLogDestination: new apigw.LogGroupLogDestination(accessLogGroup),
        accessLogFormat: apigw.AccessLogFormat.jsonWithStandardFields(),
        loggingLevel: apigw.MethodLoggingLevel.INFO,
        tracingEnabled: true,
        methodOptions: { '/health/GET': { throttlingRateLimit: 10, throttlingBurstLimit: 20 } },
      },
    });
    logGroup('TradingApiExecutionLogGroup', `API-Gateway-Execution-Logs_${api.restApiId}/v1`);
    api.root
      .addResource('health')
      .addMethod('GET', new apigw.LambdaIntegration(healthApi, { allowTestInvoke: false }));
    const orderSchema = JSON.parse(fs.readFileSync(path.join(handlers, 'trade-api/schemas/trade-order.json'), 'utf8'));
    const { $schema: _draft, ...schema } = orderSchema;
    api.root.addResource('trades').addMethod('POST', new apigw.LambdaIntegration(tradeApi, { allowTestInvoke: false }), {
      authorizationType: apigw.AuthorizationType.IAM,
      requestValidator: api.addRequestValidator('RequestValidator', { validateRequestBody: true }),
      requestModels: {
        'application/json': api.addModel('PostTradesModel', {
          contentType: 'application/json',
          schema: { schema: apigw.JsonSchemaVersion.DRAFT4, ...schema },
        }),
      },
    });

    const apiProbe = fn('ApiProbe', 'api-probe', {
      memory: 128,
      timeout: 10,
      concurrency: 1,
      network: false,
      onFailure: eventsDlq,
      env: { API_URL: api.url, PROBE_TIMEOUT_MS: '5000' },
    });

    const healthMonitor = fn('HealthMonitor', 'health-monitor', {
      vendor: 'pg',
      memory: 256,
      timeout: 60,
      concurrency: 1,
      onFailure: eventsDlq,
      retries: 0,
      env: {
        METRIC_NAMESPACE: 'TradingPlatform',
        TRADE_ORDERS_QUEUE_URL: tradeOrders.queueUrl,
        TRADE_ORDERS_DLQ_URL: tradeOrdersDlq.queueUrl,
        EVENTS_DLQ_URL: eventsDlq.queueUrl,
        ALERTS_TOPIC_ARN: alerts.topicArn,
        ALERT_KEYS_TABLE: alertKeys.tableName,
        DB_SECRET_ARN: monitor.secretArn,
        ...dbEnv,
        API_PROBE_FUNCTION: apiProbe.functionName,
      },
    });
    apiProbe.grantInvoke(healthMonitor);
    for (const q of [tradeOrders, tradeOrdersDlq, eventsDlq]) q.grant(healthMonitor, 'sqs:GetQueueAttributes');
    alerts.grantPublish(healthMonitor);
    alertKeys.grantWriteData(healthMonitor);
    monitor.grantRead(healthMonitor);
    healthMonitor.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['cloudwatch:PutMetricData'],
        resources: ['*'],
        conditions: { StringEquals: { 'cloudwatch:namespace': 'TradingPlatform' } },
      }),
    );

    // The API's names: the zone lives in us-east-1's stack; the others get
    // its id (and the health checks') as parameters.
    const zone = home
      ? new route53.PublicHostedZone(this, 'PublicZone', { zoneName: ZONE })
      : route53.HostedZone.fromHostedZoneAttributes(this, 'PublicZone', {
          zoneName: ZONE,
          hostedZoneId: new cdk.CfnParameter(this, 'PublicZoneId', { type: 'String' }).valueAsString,
        });
    const healthChecks = {};
    if (home) {
      for (const r of REGIONS) {
        healthChecks[r] = new route53.HealthCheck(this, `ApiHealthHealthCheck${regionId(r)}`, {
          type: route53.HealthCheckType.HTTPS,
          fqdn: `${r}.${API_DOMAIN}`,
          port: 443,
          resourcePath: '/health',
          requestInterval: Duration.seconds(30),
          failureThreshold: 3,
          measureLatency: true,
          enableSNI: true,
        });
        new cdk.CfnOutput(this, `ApiHealthHealthCheck${regionId(r)}Id`, { value: healthChecks[r].healthCheckId });
      }
      new cdk.CfnOutput(this, 'PublicZoneId', { value: zone.hostedZoneId });
    }
    const ownHealthCheck = home
      ? healthChecks[region]
      : route53.HealthCheck.fromHealthCheckId(
          this,
          'OwnHealthCheck',
          new cdk.CfnParameter(this, `ApiHealthHealthCheck${regionId(region)}Id`, { type: 'String' }).valueAsString,
        );

    const regionalDomain = `${region}.${API_DOMAIN}`;
    const certificate = new acm.Certificate(this, 'TradingApiCertificate', {
      domainName: API_DOMAIN,
      subjectAlternativeNames: [regionalDomain],
      validation: acm.CertificateValidation.fromDns(zone),
    });
    const domain = api.addDomainName('TradingApiDomainName', {
      domainName: API_DOMAIN,
      certificate,
      endpointType: apigw.EndpointType.REGIONAL,
      securityPolicy: apigw.SecurityPolicy.TLS_1_2,
    });
    const regional = new apigw.DomainName(this, 'TradingApiRegionalDomainName', {
      domainName: regionalDomain,
      certificate,
      endpointType: apigw.EndpointType.REGIONAL,
      securityPolicy: apigw.SecurityPolicy.TLS_1_2,
      mapping: api,
    });
    new route53.ARecord(this, 'TradingApiLatencyRecord', {
      zone,
      recordName: API_DOMAIN,
      target: route53.RecordTarget.fromAlias(new route53Targets.ApiGatewayDomain(domain)),
      region,
      setIdentifier: region,
      healthCheck: ownHealthCheck,
    });
    new route53.ARecord(this, 'TradingApiRegionalRecord', {
      zone,
      recordName: regionalDomain,
      target: route53.RecordTarget.fromAlias(new route53Targets.ApiGatewayDomain(regional)),
    });

    // The web ACL: no L2 in CDK.
    const managedRule = (ruleName, priority) => ({
      name: ruleName,
      priority,
      overrideAction: { none: {} },
      statement: { managedRuleGroupStatement: { vendorName: 'AWS', name: ruleName } },
      visibilityConfig: { cloudWatchMetricsEnabled: true, metricName: ruleName, sampledRequestsEnabled: true },
    });
    const webAcl = new wafv2.CfnWebACL(this, 'TradingApiWebAcl', {
      name: name('waf', 'trading'),
      scope: 'REGIONAL',
      defaultAction: { allow: {} },
      visibilityConfig: { cloudWatchMetricsEnabled: true, metricName: 'trading', sampledRequestsEnabled: true },
      rules: [
        {
          name: 'RateLimitPerIp',
          priority: 0,
          action: { block: {} },
          statement: { rateBasedStatement: { limit: 2000, aggregateKeyType: 'IP' } },
          visibilityConfig: { cloudWatchMetricsEnabled: true, metricName: 'RateLimitPerIp', sampledRequestsEnabled: true },
        },
        managedRule('AWSManagedRulesAmazonIpReputationList', 1),
        managedRule('AWSManagedRulesKnownBadInputsRuleSet', 2),
        managedRule('AWSManagedRulesCommonRuleSet', 3),
      ],
    });
    new wafv2.CfnWebACLAssociation(this, 'TradingApiWebAclAssociation', {
      resourceArn: api.deploymentStage.stageArn,
      webAclArn: webAcl.attrArn,
    });
    const wafLogs = logGroup('TradingApiWafLogGroup', `aws-waf-logs-${apiName}`);
    new wafv2.CfnLoggingConfiguration(this, 'TradingApiWafLogging', {
      resourceArn: webAcl.attrArn,
      logDestinationConfigs: [wafLogs.logGroupArn],
    });

    // Events.
    const auditEvents = logGroup(
      'AuditEventsLogGroup',
      `/aws/events/${name('log', 'audit-events')}`,
      auditKey,
    );
    new events.Rule(this, 'TradeEventsRule', {
      ruleName: name('rule', 'trade-events'),
      eventBus: bus,
      eventPattern: { source: ['trading.processor'], detailType: ['TradeProcessed'] },
      targets: [
        new targets.LambdaFunction(eventHandler, {
          deadLetterQueue: eventsDlq,
          retryAttempts: 3,
          maxEventAge: Duration.hours(1),
        }),
        new targets.CloudWatchLogGroup(auditEvents, {
          installLatestAwsSdk: false,
          deadLetterQueue: eventsDlq,
          retryAttempts: 3,
          maxEventAge: Duration.hours(1),
        }),
      ],
    });
    new events.Rule(this, 'HealthScheduleRule', {
      ruleName: name('rule', 'health-schedule'),
      schedule: events.Schedule.expression('rate(1 hour)'),
      targets: [new targets.LambdaFunction(healthMonitor, { deadLetterQueue: eventsDlq })],
    });

    // Drift detection, daily, to the alerts topic.
    const drift = new config.CloudFormationStackDriftDetectionCheck(this, 'DriftDetectionConfigRule', {
      configRuleName: name('config', 'stack-drift'),
      description: "Whether this stack's resources still match its template",
      maximumExecutionFrequency: config.MaximumExecutionFrequency.TWENTY_FOUR_HOURS,
    });
    drift.onComplianceChange('DriftDetectionAlertRule', {
      ruleName: name('rule', 'stack-drift'),
      target: new targets.SnsTopic(alerts),
      eventPattern: { detail: { newEvaluationResult: { complianceType: ['NON_COMPLIANT'] } } },
    });

    // Backups: into the bootstrap's vault, copied to another region's.
    const vaultName = `tp-bootstrap-${ACCOUNT}`;
    const plan = new backup.BackupPlan(this, 'NightlyBackupPlan', {
      backupPlanName: name('backup', 'nightly'),
      backupVault: backup.BackupVault.fromBackupVaultName(this, 'BootstrapVault', vaultName),
      backupPlanRules: [
        new backup.BackupPlanRule({
          ruleName: 'nightly',
          scheduleExpression: events.Schedule.expression('cron(0 3 * * ? *)'),
          deleteAfter: Duration.days(7),
          copyActions: [
            {
              destinationBackupVault: backup.BackupVault.fromBackupVaultArn(
                this,
                'CopyVault',
                `arn:aws:backup:${BACKUP_COPY_TO[region]}:${ACCOUNT}:backup-vault:${vaultName}`,
              ),
              deleteAfter: Duration.days(7),
            },
          ],
        }),
      ],
    });
    plan.addSelection('NightlyBackupSelection', {
      resources: [
        backup.BackupResource.fromRdsDatabaseCluster(cluster),
        ...[sessions, orderKeys, alertKeys].map((t) => backup.BackupResource.fromDynamoDbTable(t)),
      ],
    });

    // Resource references for configuration readers.
    parameter('SessionsTableParameter', 'sessions-table', sessions.tableName, 'Sessions table name');
    parameter('TradeOrdersQueueParameter', 'trade-orders-queue', tradeOrders.queueUrl, 'Trade orders queue URL');
    parameter('AuditBucketParameter', 'audit-bucket', auditLog.bucketName, 'Audit log bucket name');
    parameter('ConfigBucketParameter', 'config-bucket', configBucket.bucketName, 'Configuration bucket name');
    parameter('AlertsTopicParameter', 'alerts-topic', alerts.topicArn, 'Alerts topic ARN');
    parameter('ApiIdParameter', 'api-id', api.restApiId, 'Trading API id');
    parameter('ApiUrlParameter', 'api-url', api.url, 'Trading API invoke URL');
    parameter('DbEndpointParameter', 'db-endpoint', dbEndpoint, 'Trades cluster writer endpoint');
    parameter('EventBusParameter', 'event-bus', bus.eventBusName, 'Trading events bus name');

    // Alarms, all to `alerts`.
    const alarms = [];
    const alarm = (alarmId, metric, { above, below, evaluations = 1, datapoints, description, missing }) => {
      const a = metric.createAlarm(this, alarmId, {
        alarmName: name('alarm', alarmId.replace(/Alarm$/, '').replace(/[A-Z]/g, (c, i) => (i ? '-' : '') + c.toLowerCase())),
        alarmDescription: description,
        threshold: above ?? below,
        comparisonOperator:
          above !== undefined
            ? cw.ComparisonOperator.GREATER_THAN_THRESHOLD
            : cw.ComparisonOperator.LESS_THAN_THRESHOLD,
        evaluationPeriods: evaluations,
        datapointsToAlarm: datapoints,
        treatMissingData: missing ?? cw.TreatMissingData.NOT_BREACHING,
      });
      a.addAlarmAction(notifyAlerts);
      alarms.push(a);
      return a;
    };
    const minutes = (n) => ({ period: Duration.minutes(n) });
    const fast = { evaluations: 5, datapoints: 3 };
    alarm('TradesCpuAlarm', cluster.metricCPUUtilization(minutes(5)), { above: 80, evaluations: 3 });
    alarm('TradesAcuAlarm', cluster.metricACUUtilization(minutes(5)), { above: 90, evaluations: 3 });
    alarm('TradeApiErrorsAlarm', tradeApi.metricErrors(minutes(1)), { above: 0, ...fast });
    alarm('TradeApiThrottlesAlarm', tradeApi.metricThrottles(minutes(1)), { above: 0, ...fast });
    alarm('HealthApiErrorsAlarm', healthApi.metricErrors(minutes(1)), { above: 0, ...fast });
    alarm('TradeProcessorErrorsAlarm', tradeProcessor.metricErrors(minutes(1)), { above: 0, ...fast });
    alarm('TradeProcessorThrottlesAlarm', tradeProcessor.metricThrottles(minutes(1)), { above: 0, ...fast });
    alarm('EventHandlerErrorsAlarm', eventHandler.metricErrors(minutes(1)), { above: 0, ...fast });
    alarm('EventHandlerThrottlesAlarm', eventHandler.metricThrottles(minutes(1)), { above: 0, ...fast });
    alarm('HealthMonitorErrorsAlarm', healthMonitor.metricErrors(minutes(5)), { above: 0 });
    alarm('HealthMonitorThrottlesAlarm', healthMonitor.metricThrottles(minutes(5)), { above: 0 });
    alarm('ApiProbeErrorsAlarm', apiProbe.metricErrors(minutes(5)), { above: 0 });
    alarm('ApiLatencyAlarm', api.metricLatency({ ...minutes(1), statistic: 'p99' }), {
      above: 1000,
      ...fast,
      description: 'API p99 latency above 1 s',
    });
    alarm('ApiErrorsAlarm', api.metricServerError(minutes(1)), { above: 0, ...fast });
    alarm('TradeOrdersDlqVisibleAlarm', tradeOrdersDlq.metricApproximateNumberOfMessagesVisible(minutes(5)), {
      above: 0,
    });
    alarm('EventsDlqVisibleAlarm', eventsDlq.metricApproximateNumberOfMessagesVisible(minutes(5)), { above: 0 });
    alarm('HealthMonitorNotRunningAlarm', healthMonitor.metricInvocations(minutes(60)), {
      below: 1,
      evaluations: 2,
      missing: cw.TreatMissingData.BREACHING,
      description: 'health_monitor not invoked for two hours',
    });
    // Route 53 publishes its health checks' metrics in us-east-1 alone.
    const healthStatus = (healthCheck) =>
      new cw.Metric({
        namespace: 'AWS/Route53',
        metricName: 'HealthCheckStatus',
        dimensionsMap: { HealthCheckId: healthCheck.healthCheckId },
        region: HOME,
        statistic: 'Minimum',
        ...minutes(1),
      });
    if (home) {
      for (const r of REGIONS) {
        alarm(`ApiDownAlarm${regionId(r)}`, healthStatus(healthChecks[r]), {
          below: 1,
          evaluations: 2,
          description: `Route 53 health check of GET /health failing in ${r}`,
        });
      }
    }

    // The dashboard: what an operator asks first, then every alarm.
    const graph = (title, metrics) =>
      metrics.map((metric) => new cw.GraphWidget({ title, left: [metric], width: 6, height: 6 }));
    new cw.Dashboard(this, 'OperationsDashboard', {
      dashboardName: name('dashboard', 'operations'),
      widgets: [
        [new cw.TextWidget({ markdown: '## Is trading up?', width: 24, height: 1 })],
        graph('Is trading up?', [
          api.metricCount(),
          api.metricServerError(),
          api.metricLatency({ statistic: 'p99' }),
          healthStatus(ownHealthCheck),
          api.metricClientError(),
          tradeApi.metricErrors(),
          tradeApi.metricDuration({ statistic: 'p99' }),
          healthApi.metricErrors(),
        ]),
        [new cw.TextWidget({ markdown: '## Are orders flowing?', width: 24, height: 1 })],
        graph('Are orders flowing?', [
          tradeOrders.metricApproximateNumberOfMessagesVisible(),
          tradeOrders.metricApproximateAgeOfOldestMessage(),
          tradeProcessor.metricInvocations(),
          tradeProcessor.metricErrors(),
          tradeOrdersDlq.metricApproximateNumberOfMessagesVisible(),
          eventsDlq.metricApproximateNumberOfMessagesVisible(),
        ]),
        [new cw.TextWidget({ markdown: '## Lambda functions', width: 24, height: 1 })],
        graph('Lambda functions', [
          tradeApi.metricInvocations(),
          tradeApi.metricThrottles(),
          healthApi.metricInvocations(),
          healthApi.metricThrottles(),
          tradeProcessor.metricThrottles(),
          eventHandler.metricErrors(),
          eventHandler.metricThrottles(),
          healthMonitor.metricInvocations(),
          healthMonitor.metricErrors(),
          healthMonitor.metricThrottles(),
          apiProbe.metricErrors(),
        ]),
        [new cw.TextWidget({ markdown: '## Database', width: 24, height: 1 })],
        graph('Database', [
          cluster.metricCPUUtilization(),
          cluster.metricServerlessDatabaseCapacity(),
          cluster.metricACUUtilization(),
          cluster.metricDatabaseConnections(),
        ]),
        [new cw.AlarmStatusWidget({ title: 'Alarms', alarms, width: 24 })],
      ],
    });
  }
}

const app = new cdk.App();
for (const region of REGIONS) {
  new TradingPlatformStack(app, `trading-platform-${region}-${SUFFIX}`, {
    env: { account: ACCOUNT, region },
    description: `trading_platform in ${region}, profile dev`,
  });
}
const tags = {
  Project: 'trading-platform',
  Owner: 'platform-team',
  CostCenter: 'trading',
  EnvironmentSuffix: SUFFIX,
  Profile: 'dev',
};
for (const [k, v] of Object.entries(tags)) cdk.Tags.of(app).add(k, v);
for (const stack of app.node.children) cdk.Tags.of(stack).add('Region', stack.region);
app.synth();
