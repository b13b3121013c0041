"""The input statistics every ImageNet-pretrained backbone here expects (the face classifiers'
MobileNetV2, the video model's streams and concept probes): one definition for all of them."""

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
