# The last image `baker build` made for the app.
data "roundrobin_ami" "app" {
  owners     = ["self"]
  name_regex = "^nodeapp-"
  tags = {
    app = "nodeapp"
  }
}

output "image_id" {
  value = data.roundrobin_ami.app.image_id
}

output "commit" {
  value = data.roundrobin_ami.app.image_tags["commit"]
}
