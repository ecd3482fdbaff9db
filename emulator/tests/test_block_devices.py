"""Block device mappings: RunInstances volumes keep Iops / Throughput, instance store
mappings are accepted, the image's root volume stays; CreateImage records its mappings."""

from __future__ import annotations

from emulator.tests.aws_stack import al2023_images


def _volumes(ec2, instance_id: str) -> dict[str, dict]:
    volumes = ec2.describe_volumes(Filters=[{"Name": "attachment.instance-id", "Values": [instance_id]}])["Volumes"]
    return {v["Attachments"][0]["Device"]: v for v in volumes}


def test_run_instances_applies_every_mapping_beside_the_root_volume(emu):
    ec2 = emu.client("ec2")
    image = ec2.describe_images(ImageIds=[al2023_images(ec2)[0]])["Images"][0]
    instance = ec2.run_instances(
        ImageId=image["ImageId"],
        MinCount=1,
        MaxCount=1,
        BlockDeviceMappings=[
            {"DeviceName": "/dev/sdf", "Ebs": {"VolumeSize": 20, "VolumeType": "gp3", "Iops": 4000, "Throughput": 250, "DeleteOnTermination": False}},
            {"DeviceName": "/dev/sdg", "Ebs": {"VolumeSize": 10, "VolumeType": "io1", "Iops": 500, "Encrypted": True, "KmsKeyId": "alias/data"}},
            {"DeviceName": "/dev/sdh", "VirtualName": "ephemeral0"},
            {"DeviceName": "/dev/sdi", "NoDevice": ""},
        ],
    )["Instances"][0]
    volumes = _volumes(ec2, instance["InstanceId"])
    assert sorted(volumes) == sorted([image["RootDeviceName"], "/dev/sdf", "/dev/sdg"])
    gp3 = volumes["/dev/sdf"]
    assert (gp3["Size"], gp3["VolumeType"], gp3["Iops"], gp3["Throughput"]) == (20, "gp3", 4000, 250)
    io1 = volumes["/dev/sdg"]
    assert (io1["VolumeType"], io1["Iops"], io1["Encrypted"], io1["KmsKeyId"]) == ("io1", 500, True, "alias/data")
    described = ec2.describe_instances(InstanceIds=[instance["InstanceId"]])["Reservations"][0]["Instances"][0]
    on_termination = {m["DeviceName"]: m["Ebs"]["DeleteOnTermination"] for m in described["BlockDeviceMappings"]}
    assert on_termination["/dev/sdf"] is False
    assert on_termination[image["RootDeviceName"]] is True


def test_a_mapping_of_the_root_device_replaces_the_root_volume(emu):
    ec2 = emu.client("ec2")
    image = ec2.describe_images(ImageIds=[al2023_images(ec2)[0]])["Images"][0]
    root = image["RootDeviceName"]
    instance = ec2.run_instances(
        ImageId=image["ImageId"], MinCount=1, MaxCount=1,
        BlockDeviceMappings=[{"DeviceName": root, "Ebs": {"VolumeSize": 30, "DeleteOnTermination": True}}],
    )["Instances"][0]
    volumes = _volumes(ec2, instance["InstanceId"])
    assert list(volumes) == [root] and volumes[root]["Size"] == 30


def test_create_image_records_the_requested_mappings(emu):
    ec2 = emu.client("ec2")
    instance = ec2.run_instances(ImageId=al2023_images(ec2)[0], MinCount=1, MaxCount=1)["Instances"][0]
    plain = ec2.create_image(InstanceId=instance["InstanceId"], Name="plain-image")["ImageId"]
    assert len(ec2.describe_images(ImageIds=[plain])["Images"][0]["BlockDeviceMappings"]) == 1

    image_id = ec2.create_image(
        InstanceId=instance["InstanceId"],
        Name="mapped-image",
        BlockDeviceMappings=[
            {"DeviceName": "/dev/sdb", "VirtualName": "ephemeral0"},
            {"DeviceName": "/dev/sdc", "Ebs": {"VolumeSize": 30, "VolumeType": "gp3", "Iops": 3000, "Throughput": 125, "Encrypted": True, "DeleteOnTermination": False}},
            {"DeviceName": "/dev/sdd", "NoDevice": ""},
        ],
    )["ImageId"]
    image = ec2.describe_images(ImageIds=[image_id])["Images"][0]
    mappings = {m["DeviceName"]: m for m in image["BlockDeviceMappings"]}
    assert image["RootDeviceName"] in mappings and "SnapshotId" in mappings[image["RootDeviceName"]]["Ebs"]
    assert mappings["/dev/sdb"]["VirtualName"] == "ephemeral0"
    assert mappings["/dev/sdc"]["Ebs"] == {
        "VolumeSize": 30, "VolumeType": "gp3", "Iops": 3000, "Throughput": 125, "Encrypted": True, "DeleteOnTermination": False,
    }
    assert mappings["/dev/sdd"]["NoDevice"] == ""
