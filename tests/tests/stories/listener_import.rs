//! Listeners of every kind real accounts hold: a fixed response (a
//! maintenance page), a redirect (HTTP to HTTPS), and HTTPS with a
//! certificate. Made with the AWS API, they import with `import {}` blocks
//! and `terraform plan -generate-config-out` into a configuration that plans
//! no change; made by Terraform, they apply and plan clean. A listener with
//! more than one default action (authentication, then forward) is refused
//! with the reason, never imported with a part dropped.
//!
//! Emulated behaviour relied on: ELBv2 listeners with fixed-response,
//! redirect and authenticate-oidc actions (moto); HTTPS listeners that need
//! an IAM server certificate that exists, and report a security policy
//! (`elbv2/https_listeners.py`); IAM UploadServerCertificate.

use anyhow::{Context, Result};
use aws_sdk_elasticloadbalancingv2::Client as Elb;
use aws_sdk_elasticloadbalancingv2::types::{
    Action, ActionTypeEnum, AuthenticateOidcActionConfig, Certificate, FixedResponseActionConfig,
    ProtocolEnum, RedirectActionConfig, RedirectActionStatusCodeEnum,
};
use e2e::{MotoServer, Workspace};

use crate::import_round_trip::{
    importing, load_balancer_and_target_group_by_hand, refused, round_trip,
};
use crate::support::{PROVIDER, assert_no_changes, eventually};

/// A load balancer made with the API, and an IAM server certificate for
/// its HTTPS listeners (self-signed, as for a test domain).
struct Fixture {
    elb: Elb,
    load_balancer: String,
    target_group: String,
    certificate: String,
}

impl Fixture {
    async fn make(moto: &MotoServer) -> Result<Fixture> {
        let ec2 = moto.ec2_client().await;
        let config = moto.sdk_config().await;
        let elb = Elb::new(&config);
        let (load_balancer, target_group) =
            load_balancer_and_target_group_by_hand(&ec2, &elb).await?;
        let key = rcgen::generate_simple_self_signed(vec!["shop.example.test".to_string()])?;
        let iam = aws_sdk_iam::Client::new(&config);
        let certificate = iam
            .upload_server_certificate()
            .server_certificate_name("shop")
            .certificate_body(key.cert.pem())
            .private_key(key.signing_key.serialize_pem())
            .send()
            .await?
            .server_certificate_metadata()
            .map(|m| m.arn().to_string())
            .context("no certificate")?;
        Ok(Fixture {
            elb,
            load_balancer,
            target_group,
            certificate,
        })
    }

    /// A listener made with the API; its ARN.
    async fn listener(&self, port: i32, https: bool, actions: Vec<Action>) -> Result<String> {
        let (protocol, certificates) = if https {
            let default = Certificate::builder()
                .certificate_arn(&self.certificate)
                .build();
            (ProtocolEnum::Https, Some(vec![default]))
        } else {
            (ProtocolEnum::Http, None)
        };
        let out = eventually("the new load balancer taking a listener", || async {
            Ok(self
                .elb
                .create_listener()
                .load_balancer_arn(&self.load_balancer)
                .protocol(protocol.clone())
                .port(port)
                .set_certificates(certificates.clone())
                .set_default_actions(Some(actions.clone()))
                .send()
                .await?)
        })
        .await?;
        Ok(out
            .listeners()
            .first()
            .and_then(|l| l.listener_arn())
            .context("no listener")?
            .to_string())
    }
}

fn fixed_response() -> Action {
    Action::builder()
        .r#type(ActionTypeEnum::FixedResponse)
        .fixed_response_config(
            FixedResponseActionConfig::builder()
                .status_code("503")
                .content_type("text/plain")
                .message_body("down for maintenance")
                .build(),
        )
        .build()
}

/// HTTP to HTTPS, as AWS's console makes it: only the protocol, the port
/// and the status code; the other parts are the request's own.
fn to_https() -> Action {
    Action::builder()
        .r#type(ActionTypeEnum::Redirect)
        .redirect_config(
            RedirectActionConfig::builder()
                .protocol("HTTPS")
                .port("443")
                .status_code(RedirectActionStatusCodeEnum::Http301)
                .build(),
        )
        .build()
}

fn forward_to(target_group: &str) -> Action {
    Action::builder()
        .r#type(ActionTypeEnum::Forward)
        .target_group_arn(target_group)
        .build()
}

#[tokio::test]
async fn fixed_response_redirect_and_https_listeners_import_without_changes() -> Result<()> {
    let moto = MotoServer::start()?;
    let fixture = Fixture::make(&moto).await?;
    let maintenance = fixture
        .listener(8081, false, vec![fixed_response()])
        .await?;
    let redirect = fixture.listener(80, false, vec![to_https()]).await?;
    let shop = fixture
        .listener(443, true, vec![forward_to(&fixture.target_group)])
        .await?;

    let workspace = importing(
        &moto,
        &[
            ("roundrobin_lb_listener.maintenance", &maintenance),
            ("roundrobin_lb_listener.redirect", &redirect),
            ("roundrobin_lb_listener.shop", &shop),
        ],
    )?;
    round_trip(&workspace, 3).await?;
    let generated = std::fs::read_to_string(workspace.path().join("generated.tf"))?;
    for part in [
        "down for maintenance",
        "HTTP_301",
        "#{host}",
        &fixture.certificate,
        "ELBSecurityPolicy-2016-08",
    ] {
        assert!(
            generated.contains(part),
            "{part} missing from:\n{generated}"
        );
    }

    // Authentication before the forward: two default actions, refused.
    let authenticate = Action::builder()
        .r#type(ActionTypeEnum::AuthenticateOidc)
        .order(1)
        .authenticate_oidc_config(
            AuthenticateOidcActionConfig::builder()
                .issuer("https://login.example.test")
                .authorization_endpoint("https://login.example.test/authorize")
                .token_endpoint("https://login.example.test/token")
                .user_info_endpoint("https://login.example.test/userinfo")
                .client_id("shop")
                .client_secret("secret")
                .build(),
        )
        .build();
    let forward = Action::builder()
        .r#type(ActionTypeEnum::Forward)
        .order(2)
        .target_group_arn(&fixture.target_group)
        .build();
    let guarded = fixture
        .listener(8443, true, vec![authenticate, forward])
        .await?;
    let workspace = importing(&moto, &[("roundrobin_lb_listener.guarded", &guarded)])?;
    let out = refused(&workspace, "Listener cannot be imported").await?;
    assert!(out.combined().contains("authenticate-oidc"), "{out}");
    Ok(())
}

#[tokio::test]
async fn terraform_makes_and_changes_redirect_fixed_response_and_https_listeners() -> Result<()> {
    let moto = MotoServer::start()?;
    let fixture = Fixture::make(&moto).await?;
    let workspace = Workspace::new(&moto)?;
    let config = |body: &str| {
        format!(
            r#"{PROVIDER}
resource "roundrobin_lb_listener" "redirect" {{
  load_balancer_arn = "{lb}"
  port              = 80

  redirect {{
    protocol    = "HTTPS"
    port        = "443"
    status_code = "HTTP_301"
  }}
}}

resource "roundrobin_lb_listener" "maintenance" {{
  load_balancer_arn = "{lb}"
  port              = 8081

  fixed_response {{
    status_code  = "503"
    content_type = "text/plain"
    message_body = "{body}"
  }}
}}

resource "roundrobin_lb_listener" "shop" {{
  load_balancer_arn = "{lb}"
  port              = 443
  protocol          = "HTTPS"
  certificate_arn   = "{certificate}"

  forward {{
    target_group {{
      arn = "{tg}"
    }}
  }}
}}
"#,
            lb = fixture.load_balancer,
            tg = fixture.target_group,
            certificate = fixture.certificate,
        )
    };
    workspace.write_config(&config("down for maintenance"))?;
    workspace.apply()?;
    assert_no_changes(&workspace)?;

    let listeners = fixture
        .elb
        .describe_listeners()
        .load_balancer_arn(&fixture.load_balancer)
        .send()
        .await?;
    let on = |port: i32| {
        listeners
            .listeners()
            .iter()
            .find(|l| l.port() == Some(port))
            .cloned()
            .with_context(|| format!("no listener on port {port}"))
    };
    let shop = on(443)?;
    assert_eq!(shop.protocol(), Some(&ProtocolEnum::Https));
    assert_eq!(
        shop.certificates()
            .first()
            .and_then(|c| c.certificate_arn()),
        Some(fixture.certificate.as_str())
    );
    let redirect = on(80)?;
    let config_of = redirect
        .default_actions()
        .first()
        .and_then(|a| a.redirect_config())
        .context("no redirect")?;
    assert_eq!(config_of.host(), Some("#{host}"));
    assert_eq!(config_of.protocol(), Some("HTTPS"));

    // The page's text changes in place.
    workspace.write_config(&config("back at noon"))?;
    let apply = workspace.apply()?;
    assert!(
        apply.stdout.contains("0 added, 1 changed, 0 destroyed"),
        "{apply}"
    );
    assert_no_changes(&workspace)?;
    workspace.destroy()?;
    Ok(())
}
