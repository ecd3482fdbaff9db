//! When the stack is destroyed, nothing it made is left in the cloud.

use anyhow::Result;
use e2e::ec2::Inventory;

use crate::support::AppliedStack;

#[tokio::test]
async fn destroy_leaves_only_the_default_security_group() -> Result<()> {
    let AppliedStack {
        workspace,
        ec2,
        moto: _moto,
        ..
    } = AppliedStack::start().await?;
    let before = Inventory::take(&ec2).await?;
    assert_eq!(before.security_groups.len(), 1, "{before}");
    assert_eq!(before.launch_templates.len(), 1, "{before}");

    workspace.destroy()?;

    let after = Inventory::take(&ec2).await?;
    assert!(after.is_empty(), "left behind: {after}");
    let state = workspace.run(&["state", "list"])?;
    assert!(state.stdout.trim().is_empty(), "{state}");
    Ok(())
}
